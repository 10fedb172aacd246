use axum_users::AuthUser;

#[derive(AuthUser)]
struct User {
    id: i64,
    hashed_password: String,
    is_active: bool,
    is_superuser: bool,
    is_verified: bool,
    #[auth(min = 1)]
    username: String,
    #[auth(unknown_key)]
    bio: String,
}

fn main() {}

use axum_users::AuthUser;

#[derive(AuthUser)]
struct User {
    id: i64,
    email: String,
    hashed_password: String,
    is_active: bool,
    is_superuser: bool,
    is_verified: bool,
    #[auth(max_length = 50, max_length = 60)]
    username: String,
}

fn main() {}

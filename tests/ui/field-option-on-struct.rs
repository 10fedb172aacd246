use axum_users::AuthUser;

#[derive(AuthUser)]
#[auth(unique)]
struct User {
    id: i64,
    email: String,
    hashed_password: String,
    is_active: bool,
    is_superuser: bool,
    is_verified: bool,
}

fn main() {}

use axum_users::AuthUser;

#[derive(AuthUser)]
struct User {
    id: String,
    email: String,
    hashed_password: String,
    is_active: bool,
    is_superuser: bool,
    is_verified: bool,
}

fn main() {}

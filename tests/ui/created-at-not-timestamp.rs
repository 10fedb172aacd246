use axum_users::AuthUser;

#[derive(AuthUser)]
struct User {
    id: i64,
    email: String,
    hashed_password: String,
    is_active: bool,
    is_superuser: bool,
    is_verified: bool,
    #[auth(created_at)]
    created_at: String,
}

fn main() {}

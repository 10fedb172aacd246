use axum_users::AuthUser;

#[derive(AuthUser)]
struct User {
    id: i64,
    email: String,
    hashed_password: String,
    is_active: bool,
    is_superuser: bool,
    is_verified: bool,
    #[auth(min_length = 1)]
    age: i32,
}

fn main() {}

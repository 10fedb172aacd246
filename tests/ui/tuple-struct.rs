use axum_users::AuthUser;

#[derive(AuthUser)]
struct User(i64, String);

fn main() {}

use axum_users::AuthUser;

#[derive(AuthUser)]
enum User {
    Admin,
    Member,
}

fn main() {}

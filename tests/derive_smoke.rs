use axum_users::prelude::*;

#[derive(AuthUser, Clone, Debug)]
#[auth(table = "user")]
pub struct User {
    pub id: i64,
    pub email: String,
    pub hashed_password: String,
    pub is_active: bool,
    #[auth(superuser)]
    pub is_admin: bool,
    pub is_verified: bool,
    #[auth(unique, min_length = 1, max_length = 50)]
    pub username: String,
    #[auth(max_length = 1000)]
    pub description: Option<String>,
    #[auth(created_at)]
    pub created_at: time::OffsetDateTime,
    #[auth(updated_at)]
    pub updated_at: time::OffsetDateTime,
    #[auth(skip)]
    pub tracks: Vec<i64>,
}

#[test]
fn compiles() {
    println!("{}", User::create_table_sql(Dialect::Postgres));
}

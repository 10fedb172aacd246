//! `#[auth(crate = "...")]` when axum-users is re-exported under another path, with
//! private types and renamed schemas.
#![deny(unsafe_code, warnings)]

mod reexport {
    pub use axum_users as users;
}


#[derive(reexport::users::AuthUser, Clone, Debug)]
#[auth(crate = "reexport::users", table = "members", read = "MemberOut", create = "MemberIn", update = "MemberPatch")]
struct Member {
    id: i64,
    email: String,
    hashed_password: String,
    #[auth(active)]
    enabled: bool,
    is_superuser: bool,
    is_verified: bool,
    #[auth(default = 3, min = 0, max = 10)]
    level: i32,
}

fn main() {
    let create: Option<MemberIn> = None;
    let update = MemberPatch::default();
    let read: Option<MemberOut> = None;
    let _ = (create, update, read);
    assert_eq!(<Member as axum_users::AuthUser>::TABLE.name, "members");
}

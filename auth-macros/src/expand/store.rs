//! Inherent DDL helpers: `User::create_table_sql(dialect)` and `User::migrate(&pool)`.

use proc_macro2::TokenStream;
use quote::quote;

use super::Paths;
use crate::ast::Model;

pub(crate) fn expand(model: &Model) -> TokenStream {
    let Paths { p, rt, .. } = Paths::new(model);
    let (ident, vis) = (&model.ident, &model.vis);
    quote! {
        #[automatically_derived]
        impl #ident {
            /// The `CREATE TABLE IF NOT EXISTS` statement of this user table in `dialect`
            /// (for applications that keep their own migrations).
            #vis fn create_table_sql(dialect: #rt::Dialect) -> ::std::string::String {
                #rt::store::create_table_sql(<Self as #rt::AuthUser>::TABLE, dialect)
            }

            /// Creates this user table if it does not exist yet; running it again changes
            /// nothing.
            #vis async fn migrate<DB>(
                pool: &#p::sqlx::Pool<DB>,
            ) -> ::core::result::Result<(), #rt::StoreError>
            where
                DB: #rt::Backend,
                for<'c> &'c mut <DB as #p::sqlx::Database>::Connection:
                    #p::sqlx::Executor<'c, Database = DB>,
            {
                #rt::SqlxStore::<Self, DB>::new(::core::clone::Clone::clone(pool))
                    .migrate()
                    .await
            }
        }
    }
}

//! `embed_migrations!` reads the migration folders at compile time, but
//! cargo does not know it does: without this, a new migration folder leaves
//! a build with the old set embedded.

fn main() {
    println!("cargo:rerun-if-changed=../../migrations");
}

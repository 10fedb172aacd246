//! The README's complete app is `examples/readme.rs`, so it keeps compiling.

#[test]
fn the_readme_app_is_the_compiled_example() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).expect("README");
    let example =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/readme.rs"))
            .expect("example");
    let block = readme
        .split("## A complete app")
        .nth(1)
        .and_then(|rest| rest.split("```rust\n").nth(1))
        .and_then(|rest| rest.split("\n```").next())
        .expect("the README has a complete app");
    let code: Vec<&str> = example.lines().filter(|l| !l.starts_with("//!")).collect();
    assert_eq!(block.trim(), code.join("\n").trim());
    assert!(
        block.lines().count() < 40,
        "the README app stays under 40 lines"
    );
}

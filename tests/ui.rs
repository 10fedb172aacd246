//! Compile-fail cases of `#[derive(AuthUser)]` (one misuse per file, with the expected
//! `.stderr`), and shapes that must compile.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/*.rs");
    cases.pass("tests/ui/pass/*.rs");
}

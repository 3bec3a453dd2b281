//! Every `tests/ir/*.ir` file parses, verifies, and prints back identically.

use std::path::Path;

#[test]
fn ir_files_parse_verify_and_print_identically() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/ir");
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).expect("tests/ir exists") {
        let path = entry.expect("dir entry").path();
        if path.extension().is_none_or(|e| e != "ir") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("readable");
        let name = path.display();
        let block = vm_ir::parse_block(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        vm_ir::verify(&block).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            block.to_string(),
            text,
            "{name} does not print back identically"
        );
        count += 1;
    }
    assert!(count >= 3, "expected the example files, found {count}");
}

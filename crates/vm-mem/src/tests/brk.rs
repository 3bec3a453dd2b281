//! The program break.

use super::{fixed, mem};
use crate::{HEAP_NAME, MemFault, PAGE_SIZE, Perm};

const START: u64 = 0x60_0000;
const P: u64 = PAGE_SIZE;

#[test]
fn brk_grows_shrinks_and_zeroes_on_regrow() {
    let m = mem();
    m.init_brk(START);
    assert_eq!(m.brk(0), START);
    assert_eq!(
        m.load(START, 1),
        Err(MemFault::at(START)),
        "nothing mapped yet"
    );
    assert_eq!(m.brk(START + 100), START + 100);
    assert_eq!(m.perm_at(START), Perm::RW);
    assert_eq!(
        m.perm_at(START + P),
        Perm::NONE,
        "whole pages up to the break"
    );
    assert_eq!(m.brk(START + 3 * P), START + 3 * P);
    m.store(START + 2 * P, 8, 99).unwrap();
    let maps = m.mappings();
    assert_eq!(maps.len(), 1, "heap pieces merge");
    assert_eq!(
        (maps[0].start, maps[0].end, maps[0].name.as_str()),
        (START, START + 3 * P, HEAP_NAME)
    );
    assert_eq!(m.brk(START + P), START + P);
    assert_eq!(m.load(START + 2 * P, 8), Err(MemFault::at(START + 2 * P)));
    assert_eq!(m.brk(START + 3 * P), START + 3 * P);
    assert_eq!(
        m.load(START + 2 * P, 8),
        Ok(0),
        "fresh pages after shrink and regrow"
    );
    assert_eq!(m.brk(0), START + 3 * P);
}

#[test]
fn brk_refuses_below_start_and_into_mappings() {
    let m = mem();
    m.init_brk(START);
    assert_eq!(m.brk(START - 1), START);
    fixed(&m, START + 4 * P, 1, Perm::R);
    assert_eq!(m.brk(START + 5 * P), START);
    assert_eq!(
        m.brk(START + 4 * P),
        START + 4 * P,
        "up to the next mapping is fine"
    );
    assert_eq!(m.brk(u64::MAX), START + 4 * P);
    assert_eq!(m.brk(START), START, "back to empty");
    assert!(m.mappings().iter().all(|x| x.name != HEAP_NAME));
}

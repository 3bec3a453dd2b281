//! Malformed IR text is rejected with the right line number, never a panic.

use vm_ir::parse_block;

/// Parse `body` after a valid header; return (line, message) of the error.
fn err_of(text: &str) -> (usize, String) {
    match parse_block(text) {
        Ok(b) => panic!("expected an error, parsed {b:?}"),
        Err(e) => (e.line, e.msg),
    }
}

fn with_header(body: &str) -> String {
    format!("block 0x100 .. 0x104:\n@0x100\n{body}")
}

#[test]
fn errors_name_the_line_and_the_problem() {
    let cases: &[(&str, usize, &str)] = &[
        (
            "v0 = get x1\nv1 = add v0, v9\njump 0x0\n",
            4,
            "used before it is defined",
        ),
        ("v0 = get x1\nv0 = get x2\njump 0x0\n", 4, "defined twice"),
        ("v0 = frobnicate v0\njump 0x0\n", 3, "unknown instruction"),
        ("v0 = get x1\nset x1, v0, v0\njump 0x0\n", 4, "unexpected"),
        ("v0 = get q1\njump 0x0\n", 3, "expected a register"),
        (
            "v0 = get x1\nv1 = load.i128 [v0]\njump 0x0\n",
            4,
            "unknown memory type",
        ),
        (
            "v0 = get x1\nv1 = load.i64 [v0 + 0x80000000]\njump 0x0\n",
            4,
            "does not fit in i32",
        ),
        (
            "v0 = const 0x1_0000_0000_0000_0000\njump 0x0\n",
            3,
            "does not fit in 64 bits",
        ),
        (
            "v0 = get x1\nv1 = add v0, 0x8000000000000000\njump 0x0\n",
            4,
            "does not fit in i64",
        ),
        (
            "v0 = get x1\nv1 = fadd.q.rne v0, v0\njump 0x0\n",
            4,
            "unknown FP format",
        ),
        (
            "v0 = get x1\nv1 = fadd.s.up v0, v0\njump 0x0\n",
            4,
            "unknown rounding mode",
        ),
        ("v0 = get x1\nset x1, v0\n", 4, "no terminator"),
        ("jump 0x0\nv0 = get x1\n", 4, "after the terminator"),
        (
            "v0 = get x1\nv1 = set x1, v0\njump 0x0\n",
            4,
            "defines no value",
        ),
        ("get x1\njump 0x0\n", 3, "defines a value"),
        ("x = get x1\njump 0x0\n", 3, "not a value name"),
        ("v0 = get x1\njr v0, maybe\n", 4, "unknown jump hint"),
        ("trap panic 0x100 -> 0x104\n", 3, "unknown trap kind"),
        (
            "trap illegal 0x100000000 0x100 -> 0x104\n",
            3,
            "does not fit in u32",
        ),
        ("trap syscall 0x100 0x104\n", 3, "expected `->`"),
        ("v0 = get x1\nbr lt v0, v0, 0x1\n", 4, "expected `,`"),
        ("v0 = get x1 $\njump 0x0\n", 3, "unexpected character"),
        ("v0 = const 0xzz\njump 0x0\n", 3, "bad number"),
        ("@0x104 insn 3\njump 0x0\n", 3, "expected `inst N`"),
        ("v0 = csrr mstatus\njump 0x0\n", 3, "unknown CSR"),
        (
            "v0 = amo.nand.w [v0], v0\njump 0x0\n",
            3,
            "unknown atomic operation",
        ),
    ];
    for &(body, line, needle) in cases {
        let (l, msg) = err_of(&with_header(body));
        assert_eq!(l, line, "line of error for {body:?} ({msg})");
        assert!(
            msg.contains(needle),
            "message for {body:?} was {msg:?}, wanted {needle:?}"
        );
    }
}

#[test]
fn header_errors() {
    assert_eq!(err_of(""), (1, "no `block` header".to_string()));
    assert!(err_of("jump 0x0\n").1.contains("`block START .. END:`"));
    assert!(err_of("block 0x1 0x2:\njump 0x0\n").1.contains("`..`"));
    assert!(err_of("block 0x1 .. 0x2\njump 0x0\n").1.contains("`:`"));
    assert_eq!(err_of("; only a comment\nblock 0x1 .. 0x2:\n").0, 2);
}

#[test]
fn arbitrary_input_never_panics() {
    // Deterministic pseudo-random mutations of a valid block, plus raw bytes.
    let valid = "block 0x10 .. 0x18:\n  @0x10\n  v0 = get x1\n  v1 = add v0, -16\n  \
                 v2 = load.i64 [v1 + 8]\n  store.i32 [v1 - 4], v2\n  \
                 v3 = fmadd.d.dyn v2, v2, v2\n  br lt v3, v1, 0x100, 0x18\n";
    assert!(parse_block(valid).is_ok());
    let bytes = valid.as_bytes();
    let alphabet = b" \n,=[]+-@:>.;0123456789abcxvfz_";
    let mut seed: u64 = 0x1234_5678;
    let mut rand = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let (mut accepted, mut rejected) = (0, 0);
    for _ in 0..3000 {
        let mut m = bytes.to_vec();
        for _ in 0..1 + rand() % 4 {
            let i = (rand() as usize) % m.len();
            match rand() % 3 {
                0 => m[i] = alphabet[(rand() as usize) % alphabet.len()],
                1 => {
                    m.remove(i);
                }
                _ => m.insert(i, alphabet[(rand() as usize) % alphabet.len()]),
            }
        }
        let text = String::from_utf8_lossy(&m);
        match parse_block(&text) {
            Ok(b) => {
                // Whatever parses must print back to something that parses the same.
                assert_eq!(parse_block(&b.to_string()).as_ref(), Ok(&b), "{text}");
                accepted += 1;
            }
            Err(e) => {
                assert!(e.line >= 1 && e.line <= text.lines().count().max(1), "{e}");
                rejected += 1;
            }
        }
    }
    // Both outcomes must occur, or the mutations test nothing.
    assert!(
        accepted > 0 && rejected > 0,
        "accepted {accepted}, rejected {rejected}"
    );
}

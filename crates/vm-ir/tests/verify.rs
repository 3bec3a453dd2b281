//! Verifier accept/reject cases, written as IR text (one broken invariant each).

use vm_ir::{Block, Global, InsnStart, Inst, Terminator, Value, parse_block, verify};

fn check(body: &str) -> Result<(), String> {
    let text = format!("block 0x100 .. 0x110:\n{body}");
    let b = parse_block(&text).unwrap_or_else(|e| panic!("test text must parse: {e}\n{text}"));
    verify(&b).map_err(|e| e.to_string())
}

fn rejects(body: &str, needle: &str) {
    match check(body) {
        Ok(()) => panic!("verifier accepted:\n{body}"),
        Err(m) => assert!(
            m.contains(needle),
            "error {m:?} lacks {needle:?} for:\n{body}"
        ),
    }
}

#[test]
fn accepts_valid_blocks() {
    check("@0x100\nv0 = get x1\nv1 = load.i64 [v0]\nset x2, v1\n@0x104\nset x3, v1\njump 0x110\n")
        .unwrap();
    // A guest instruction may lower to nothing; the last may own only the terminator.
    check("@0x100\n@0x104\nv0 = get x1\n@0x108\njr v0, ret\n").unwrap();
    // Empty block (illegal first instruction).
    check("trap illegal 0x0 0x100 -> 0x104\n").unwrap();
    // A dynamic-rm FP op before its set is fine.
    check("@0x100\nv0 = get f1\nv1 = fsqrt.d.dyn v0\nset f2, v1\njump 0x104\n").unwrap();
}

#[test]
fn rejects_broken_invariants() {
    rejects("@0x100\nv0 = get x1\nset x0, v0\njump 0x0\n", "set x0");
    rejects("@0x100\nv0 = get x32\njump 0x0\n", "does not exist");
    rejects(
        "@0x100\nv0 = get x1\nset f40, v0\njump 0x0\n",
        "does not exist",
    );
    rejects(
        "@0x100\nv0 = get x1\ncsrw cycle, v0\njump 0x0\n",
        "read-only",
    );
    rejects(
        "@0x100\nv0 = get x1\nv1 = fcvt.w.l.rne v0\njump 0x0\n",
        "not a conversion",
    );
    rejects(
        "@0x100\nv0 = get f1\nv1 = fcvt.d.d.rne v0\njump 0x0\n",
        "not a conversion",
    );
    // Precise state: a fault after a set of the same guest instruction.
    rejects(
        "@0x100\nv0 = get x1\nset x2, v0\nv2 = load.i64 [v0]\njump 0x0\n",
        "may fault after guest state was written",
    );
    rejects(
        "@0x100\nv0 = get f1\ncsrw fflags, v0\nv2 = fadd.s.dyn v0, v0\njump 0x0\n",
        "may fault after",
    );
    // insn_starts shape.
    rejects("v0 = get x1\njump 0x0\n", "no guest instruction start");
    rejects("@0x104\nv0 = get x1\njump 0x0\n", "first guest instruction");
    rejects("v0 = get x1\n@0x100\njump 0x0\n", "first guest instruction");
    rejects("@0x100\n@0x100\njump 0x0\n", "not ascending");
    rejects("@0x100\n@0x110\njump 0x0\n", "not below end_pc");
    rejects("@0x100\n@0x108 inst 5\njump 0x0\n", "past the end");
    rejects("@0x100\n@0x108\n@0x104 inst 0\njump 0x0\n", "not ascending");
}

/// Blocks the parser cannot express (it checks definitions itself) are
/// built directly.
#[test]
fn rejects_bad_value_uses() {
    let block = |insts: Vec<Inst>, term: Terminator| Block {
        start_pc: 0x100,
        end_pc: 0x104,
        insts,
        term,
        insn_starts: vec![InsnStart { inst: 0, pc: 0x100 }],
    };
    let get = Inst::Get { reg: Global::X(1) };
    let jump = Terminator::Jump { target: 0 };
    // Forward reference.
    let b = block(
        vec![
            Inst::Unary {
                op: vm_ir::UnOp::Neg,
                a: Value(1),
            },
            get.clone(),
        ],
        jump.clone(),
    );
    let e = verify(&b).unwrap_err();
    assert_eq!(e.inst, 0);
    assert!(e.msg.contains("before it is defined"), "{e}");
    // Self reference.
    let b = block(
        vec![Inst::Set {
            reg: Global::X(1),
            arg: Value(0),
        }],
        jump.clone(),
    );
    assert!(verify(&b).is_err());
    // Use of an instruction without a result.
    let b = block(
        vec![
            get.clone(),
            Inst::Set {
                reg: Global::X(1),
                arg: Value(0),
            },
            Inst::Set {
                reg: Global::X(2),
                arg: Value(1),
            },
        ],
        jump,
    );
    let e = verify(&b).unwrap_err();
    assert_eq!(e.inst, 2);
    assert!(e.msg.contains("without a result"), "{e}");
    // Terminator operands.
    let b = block(
        vec![get],
        Terminator::JumpIndirect {
            target: Value(7),
            hint: vm_ir::JumpHint::Other,
        },
    );
    let e = verify(&b).unwrap_err();
    assert_eq!(e.inst, 1, "terminator errors point at insts.len()");
}

//! Values that hold themselves are freed with the interpreter: a named
//! `let`'s frame holds its loop procedure, which closes over that frame; a
//! `package-mapping` keeps packages whose inputs refer back to it.

use std::rc::{Rc, Weak};

use super::super::eval::{Interp, Module};
use super::super::value::{Frame, Procedure, Thunk, Value};
use super::super::{load, macros, reader};
use super::*;

const TEXT: &str = r#"
(define-module (gnu packages cyc)
  #:use-module (guix packages)
  #:use-module (guix build-system gnu))
(define-public base
  (package (name "base") (version "1") (source #f)
    (build-system gnu-build-system) (synopsis "s") (description "d")
    (home-page "h") (license #f)))
(define-public app
  (package (name "app") (version "1") (source #f)
    (build-system gnu-build-system) (inputs (list base))
    (synopsis "s") (description "d") (home-page "h") (license #f)))
(define rename (package-mapping (lambda (p) (package (inherit p) (name "x")))))
(define-public mapped (rename app))
(define escaped (let loop ((i 0)) (if (< i 3) (loop (+ i 1)) (lambda () loop))))
(define counted (let loop ((i 0)) (if (< i 3) (loop (+ i 1)) i)))
(define (inner n) (define (twice x) (* 2 x)) (twice n))
(define doubled (inner 21))
"#;

/// Evaluates `variables` of [`TEXT`] with the test modules and hands their
/// values to `inspect`, which returns whether what it looks at is still
/// alive; asks that once the values and the interpreter have gone.
fn assert_freed(
    variables: &[&str],
    inspect: impl for<'a> FnOnce(&[Value<'a>]) -> Box<dyn Fn() -> bool + 'a>,
) {
    let files = [
        ("guix/licenses.scm", LICENSES),
        ("guix/build-system/gnu.scm", BUILD_SYSTEM),
        ("gnu/packages/cyc.scm", TEXT),
    ];
    let mut errors = Vec::new();
    let forms: Vec<Vec<reader::Syntax>> = files
        .iter()
        .map(|(path, text)| {
            macros::expand_module(read_forms(text, path).unwrap(), path, &mut errors)
        })
        .collect();
    let mut modules: Vec<Module<'_>> = files
        .iter()
        .zip(&forms)
        .map(|((path, _), forms)| load::build_module(path, forms, &mut errors))
        .collect();
    load::resolve_imports(&mut modules, &mut errors);
    assert!(errors.is_empty(), "{errors:?}");
    let it = Interp::new(modules);
    let values: Vec<Value<'_>> = variables
        .iter()
        .map(|v| {
            let m = it.modules.len() - 1;
            let b = it.modules[m].index[&symbol::Symbol::intern(v)];
            it.force_binding(m, b).unwrap()
        })
        .collect();
    let alive = inspect(&values);
    drop(values);
    drop(it);
    assert!(!alive(), "still alive after the interpreter went");
}

#[test]
fn a_loop_that_escapes_its_frame_is_freed_with_the_interpreter() {
    assert_freed(&["escaped", "counted", "doubled"], |v| {
        let Value::Procedure(p) = &v[0] else {
            panic!("{:?}", v[0].type_name())
        };
        let Procedure::Closure(c) = &**p else {
            panic!()
        };
        // The lambda's frame is the loop's body frame; its parent is the
        // named let's, which binds `loop`.
        let parent = c.env.parent.as_ref().unwrap().parent.as_ref().unwrap();
        let frame: Weak<Frame<'_>> = Rc::downgrade(parent);
        assert!(matches!(v[1], Value::Int(3)));
        assert!(matches!(v[2], Value::Int(42)));
        Box::new(move || frame.upgrade().is_some())
    });
}

#[test]
fn a_package_mapping_is_freed_with_the_interpreter() {
    assert_freed(&["mapped"], |v| {
        let Value::Package(p) = &v[0] else { panic!() };
        let Some(Thunk::Mapped(m)) = p.thunks.get(value::Field::Inputs) else {
            panic!("inputs are not mapped")
        };
        let Procedure::MapInputs(rewrite) = &*m.2 else {
            panic!()
        };
        let mapping: Weak<Procedure<'_>> = Rc::downgrade(rewrite);
        Box::new(move || mapping.upgrade().is_some())
    });
}

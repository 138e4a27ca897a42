//! Reference cycles, and their freeing.
//!
//! Values are reference counted, and a few forms make values that hold
//! themselves: a named `let`, `letrec` or internal `define` binds a closure
//! in the frame it closes over; `package-mapping` and `mlambda` keep
//! results that can refer back to their own procedure. Such a cycle is
//! broken as soon as nothing else refers to it (a loop's frame once the
//! loop is done), or else kept here and broken when the interpreter goes,
//! so an evaluation frees everything it made.

use std::rc::Rc;

use super::{Env, Interp, Procedure, Value};

/// Something that may hold itself.
pub(super) enum Cyclic<'a> {
    /// A frame that binds a closure over itself.
    Frame(Env<'a>),
    /// A `package-mapping` or memoising procedure, with its table.
    Procedure(Rc<Procedure<'a>>),
}

/// Whether `p` is a closure (or a memoising wrapper of one) over `frame`
/// itself.
fn closes_over<'a>(p: &Procedure<'a>, frame: &Env<'a>) -> bool {
    match p {
        Procedure::Closure(c) => Rc::ptr_eq(&c.env, frame),
        Procedure::MatchLambda(_, env) => Rc::ptr_eq(env, frame),
        Procedure::CaseLambda(clauses) => clauses.iter().any(|c| Rc::ptr_eq(&c.env, frame)),
        Procedure::Memo(inner, _) => closes_over(inner, frame),
        _ => false,
    }
}

impl<'a> Interp<'a> {
    /// Called when the caller's `frame` (a `let` form's, say) is done
    /// with: if only its own closures refer to it, and only it refers to
    /// them, the cycle is broken now; else it is kept until the
    /// interpreter goes.
    pub(super) fn release(&self, frame: Env<'a>) {
        let vars = frame.vars.borrow();
        let over_itself = vars
            .iter()
            .filter(|(_, v)| matches!(v, Value::Procedure(p) if closes_over(p, &frame)))
            .count();
        if over_itself == 0 {
            return;
        }
        let held_only_here = vars
            .iter()
            .filter(|(_, v)| {
                matches!(v, Value::Procedure(p) if Rc::strong_count(p) == 1 && closes_over(p, &frame))
            })
            .count();
        drop(vars);
        if held_only_here == over_itself && Rc::strong_count(&frame) == 1 + over_itself {
            // Taken out first: the values are dropped after the borrow ends.
            let vars = std::mem::take(&mut *frame.vars.borrow_mut());
            drop(vars);
        } else {
            self.keep_cyclic(Cyclic::Frame(frame));
        }
    }

    /// Keeps `c` to be broken when the interpreter goes.
    pub(super) fn keep_cyclic(&self, c: Cyclic<'a>) {
        self.cyclic.borrow_mut().push(c);
    }

    /// A `package-mapping` or `mlambda` procedure, kept to be emptied when
    /// the interpreter goes.
    pub(crate) fn memoising(&self, p: Procedure<'a>) -> Value<'a> {
        let p = Rc::new(p);
        self.keep_cyclic(Cyclic::Procedure(p.clone()));
        Value::Procedure(p)
    }
}

impl Drop for Interp<'_> {
    fn drop(&mut self) {
        for c in self.cyclic.get_mut().drain(..) {
            match c {
                Cyclic::Frame(frame) => {
                    let vars = frame
                        .vars
                        .try_borrow_mut()
                        .map(|mut v| std::mem::take(&mut *v));
                    drop(vars);
                }
                Cyclic::Procedure(p) => match &*p {
                    Procedure::Mapping(m) => drop(m.memo.take()),
                    Procedure::Memo(_, table) => drop(table.take()),
                    _ => {}
                },
            }
        }
    }
}

//! Fuzzes the Guix Scheme reader and, for small inputs, the static
//! interpreter: any input either reads (every form's line inside the text)
//! or fails with an error naming the file and a line; evaluation never
//! panics or overflows the stack.
#![no_main]

use kiln_importers::guix::{self, reader, ModuleFile};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let lines = text.matches('\n').count() as u32 + 1;
    match reader::read_forms(text, "fuzz.scm") {
        Ok(forms) => {
            for f in &forms {
                assert!(f.line() <= lines, "form line {} beyond the text", f.line());
                let _ = f.to_value();
            }
        }
        Err(e) => {
            assert_eq!(e.file, "fuzz.scm");
            assert!(e.line >= 1 && e.line <= lines, "error line {} outside the text", e.line);
        }
    }
    if text.len() < 2048 {
        let mut eval = guix::evaluate(vec![ModuleFile::new("gnu/packages/fuzz.scm", text)]);
        // The leak checker runs after each input: let the evaluation
        // threads finish freeing first.
        eval.wait_for_freeing();
        for e in &eval.errors {
            assert!(!e.file.is_empty() || e.message.contains("thread"));
        }
    }
});

//! Fuzzes the static PKGBUILD importer: any text either fails with an error
//! that names the file, or reads into a recipe whose `.SRCINFO` the reader
//! takes back; never a panic, a hang or a stack overflow.
#![no_main]

use kiln_importers::pkgbuild;
use kiln_normalizer::srcinfo;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match pkgbuild::parse_str(text, "fuzz/PKGBUILD") {
        Ok(recipe) => {
            for w in &recipe.warnings {
                assert_eq!(w.file, "fuzz/PKGBUILD");
            }
            let emitted = srcinfo::emit(&recipe);
            if let Err(e) = srcinfo::parse(&emitted) {
                panic!("emitted .SRCINFO does not read back: {e}\n{emitted}");
            }
        }
        Err(e) => assert!(e.to_string().contains("fuzz/PKGBUILD"), "{e}"),
    }
});

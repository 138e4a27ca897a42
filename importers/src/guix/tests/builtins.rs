//! The interpreter's built-ins on small inline modules: regular
//! expressions, `case-lambda`, vhashes, target predicates, package
//! arguments seen by procedures, strings, character sets, association
//! lists, multiple values, `fold`, `gexp-input`, keyword argument lists and
//! `search-path`.

use super::*;

#[test]
fn regular_expressions_evaluate_as_guile() {
    let text = r#"
(define-module (gnu packages rx)
  #:use-module (guix packages)
  #:use-module (guix build-system gnu))
(define triplet "i686-pc-linux-gnu")
(define-public p
  (package
    (name (cond ((string-match "^i[3456]86-([^-]+)-" triplet)
                 => (lambda (m) (string-append "p-" (match:substring m 1))))
                (else "p")))
    (version (let ((m (regexp-exec (make-regexp "([0-9]+)\\.([0-9]+)") "v12.34")))
               (string-append (match:substring m 2) "."
                              (number->string (match:start m 1)) "."
                              (number->string (match:end m)))))
    (source #f)
    (build-system gnu-build-system)
    (synopsis (if (string-match "^x86_64" triplet) "64" "32"))
    (description "d") (home-page "h") (license #f)))
(define-public q
  (package (inherit p) (name "q") (version (string-match "a(b" "ab"))))
"#;
    let eval = eval_modules(&[("gnu/packages/rx.scm", text)]);
    let p = record(&eval, "p");
    assert_eq!(p["name"], "p-pc");
    assert_eq!(p["version"], "34.1.6");
    assert_eq!(p["synopsis"], "32");
    assert_eq!(p["errors"], serde_json::Value::Null);
    // A pattern the reader of regular expressions refuses is an error.
    let q = record(&eval, "q");
    assert_eq!(q["version"], serde_json::Value::Null);
    assert!(q["errors"][0].as_str().unwrap().contains("a(b"), "{q}");
}

#[test]
fn case_lambda_calls_the_first_clause_that_takes_the_arguments() {
    let text = r#"
(define-module (gnu packages cl)
  #:use-module (guix packages)
  #:use-module (guix build-system gnu))
(define pick
  (case-lambda*
   ((a #:optional b) (string-append "one:" a))
   ((a b c #:key (d "D")) (string-append "three:" a b c d))))
(define plain (case-lambda ((a) "1") ((a b) "2") ((a . rest) "n")))
(define-public p
  (package
    (name (string-append (pick "x") "," (pick "x" "y") "," (pick "x" "y" "z" #:d "w")
                         "," (plain 1) (plain 1 2) (plain 1 2 3)))
    (version (pick))
    (source #f) (build-system gnu-build-system)
    (synopsis "s") (description "d") (home-page "h") (license #f)))
"#;
    let eval = eval_modules(&[("gnu/packages/cl.scm", text)]);
    let p = record(&eval, "p");
    assert_eq!(p["name"], "one:x,one:x,three:xyzw,12n");
    assert_eq!(p["version"], serde_json::Value::Null);
    assert!(
        p["errors"][0]
            .as_str()
            .unwrap()
            .contains("no case-lambda clause takes 0 arguments"),
        "{p}"
    );
}

#[test]
fn vhashes_evaluate_as_association_lists() {
    let text = r#"
(define-module (gnu packages vh)
  #:use-module (guix packages)
  #:use-module (ice-9 vlist)
  #:use-module (guix build-system gnu))
(define table
  (fold (lambda (kv result) (vhash-cons (car kv) (cdr kv) result))
        vlist-null
        '(("a" . "1") ("b" . "2") ("l" "x" "y") ("a" . "3"))))
(define (lookup k)
  (match (vhash-assoc k table)
    ((_ . v) v)
    (_ "none")))
(define-public p
  (package
    (name (string-append (lookup "a") (lookup "b") (lookup "z") (car (lookup "l"))))
    (version (if (vlist-null? vlist-null) "1" "0"))
    (source #f) (build-system gnu-build-system)
    (synopsis "s") (description "d") (home-page "h") (license #f)))
"#;
    let eval = eval_modules(&[("gnu/packages/vh.scm", text)]);
    let p = record(&eval, "p");
    assert_eq!(p["name"], "32nonex");
    assert_eq!(p["version"], "1");
}

#[test]
fn target_predicates_test_the_triplet_given_and_sha256_strings_are_base32() {
    let text = r#"
(define-module (gnu packages tg)
  #:use-module (guix packages)
  #:use-module (guix download)
  #:use-module (guix build-system gnu))
(define-public p
  (package
    (name (string-append
           (if (target-mingw? "i686-w64-mingw32") "m" "-")
           (if (target-mingw?) "m" "-")
           (if (target-x86-32? "i686-linux") "x" "-")
           (if (target-x86-32?) "x" "-")
           (if (target-64bit?) "6" "-")
           (if (target-hurd? "i586-pc-gnu") "h" "-")
           (if (target-linux? "i586-pc-gnu") "l" "-")))
    (version "1")
    (source (origin
              (method url-fetch)
              (uri "https://example.org/p-1.tar.gz")
              (sha256 "0mdqa9w1p6cmli6976v4wi0sw9r4p5prkj7lzfd1877wk11c9c73")))
    (build-system gnu-build-system)
    (synopsis "s") (description "d") (home-page "h") (license #f)))
"#;
    let eval = eval_modules(&[("gnu/packages/tg.scm", text)]);
    let p = record(&eval, "p");
    assert_eq!(p["name"], "m-x-6h-");
    assert_eq!(
        p["source"]["sha256_hex"],
        nix_base32_to_hex("0mdqa9w1p6cmli6976v4wi0sw9r4p5prkj7lzfd1877wk11c9c73").unwrap()
    );
}

#[test]
fn procedures_see_package_arguments_evaluated() {
    let text = r#"
(define-module (gnu packages args)
  #:use-module (guix packages)
  #:use-module (guix utils)
  #:use-module (guix build-system gnu))
(define-public base
  (package
    (name "base") (version "1") (source #f)
    (build-system gnu-build-system)
    (arguments `(#:tests? #f #:make-flags (list ,(string-append "CC=" "gcc"))))
    (synopsis "s") (description "d") (home-page "h") (license #f)))
(define (flag p kw) (if (memq kw (package-arguments p)) "yes" "no"))
(define changed
  (substitute-keyword-arguments (package-arguments base)
    ((#:tests? _) #t)
    ((#:configure-flags flags ''()) (cons "--x" flags))
    ((#:phases phases) phases)))
(define-public p
  (package (inherit base)
    (name (string-append (flag base #:tests?) "," (flag base #:phases)))
    (version (string-append
              (if (cadr (memq #:tests? changed)) "t" "f")
              (number->string (length changed))
              (car (cadr (memq #:configure-flags changed)))))))
"#;
    let eval = eval_modules(&[("gnu/packages/args.scm", text)]);
    let p = record(&eval, "p");
    assert_eq!(p["name"], "yes,no");
    // #:configure-flags added from its default, in front; #:phases, absent
    // and without a default, not added.
    assert_eq!(p["version"], "t6--x");
    // The field itself stays code, as written.
    let base = record(&eval, "base");
    assert_eq!(
        base["argument_keywords"],
        serde_json::json!(["tests?", "make-flags"])
    );
}

#[test]
fn string_and_format_builtins_evaluate_as_guile() {
    let text = r#"
(define-module (gnu packages str)
  #:use-module (guix packages)
  #:use-module (guix build-system gnu))
(define-public p
  (package
    (name (string-concatenate
           (list (basename "/a/b/c.tar.gz" ".tar.gz") "-"
                 (basename "/x/y/") "-"
                 (string-filter #\a "banana")
                 (string-filter (lambda (c) (char=? c #\n)) "banana")
                 (string-delete #\a "banana")
                 ((λ (x) x) "-")
                 (simple-format #f "~a~s" 1 "q")
                 (string-trim-right "gmp-6.0.0a" char-set:letter)
                 (string-trim "  x ")
                 (string-trim-both "xxaxx" #\x)
                 (string-filter (char-set-complement char-set:digit) "a1b2"))))
    (version "1") (source #f) (build-system gnu-build-system)
    (synopsis "s") (description "d") (home-page "h") (license #f)))
"#;
    let eval = eval_modules(&[("gnu/packages/str.scm", text)]);
    let p = record(&eval, "p");
    assert_eq!(p["name"], "c-y-aaannbnn-1\"q\"gmp-6.0.0x aab", "{p}");

    // An unbound variable among a call's arguments is reported at the
    // line of the call; a variable alone as a field's value at the line of
    // the field (not thunked) or of the package form (thunked).
    let text = "(define-module (gnu packages unb)\n  #:use-module (guix packages))\n(define-public q\n  (package (name \"q\") (version\n    (string-append \"1\" no-such-variable))\n    (source\n      no-such-origin)\n    (home-page no-such-page)\n    (inputs no-such-inputs)))\n";
    let eval = eval_modules(&[("gnu/packages/unb.scm", text)]);
    let q = record(&eval, "q");
    let errors: Vec<&str> = q["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_str().unwrap())
        .collect();
    for want in [
        "gnu/packages/unb.scm:5: unbound variable 'no-such-variable'",
        "gnu/packages/unb.scm:6: unbound variable 'no-such-origin'",
        "gnu/packages/unb.scm:8: unbound variable 'no-such-page'",
        "gnu/packages/unb.scm:4: unbound variable 'no-such-inputs'",
    ] {
        assert!(errors.contains(&want), "{want} not in {errors:?}");
    }
}

#[test]
fn fold_takes_several_lists() {
    let text = r#"
(define-module (gnu packages fo)
  #:use-module (guix packages)
  #:use-module (guix build-system gnu))
(define-public p
  (package
    (name (fold (lambda (a b acc) (string-append acc a b)) "" '("1" "2" "3") '("a" "b")))
    (version (cdr (assoc "x" (fold alist-replace '(("x" . "0") ("y" . "1")) '("x") '("9")))))
    (source #f) (build-system gnu-build-system)
    (synopsis "s") (description "d") (home-page "h") (license #f)))
"#;
    let eval = eval_modules(&[("gnu/packages/fo.scm", text)]);
    let p = record(&eval, "p");
    assert_eq!(p["name"], "1a2b");
    assert_eq!(p["version"], "9");
}

#[test]
fn char_sets_of_characters_and_assoc_remove() {
    let text = r#"
(define-module (gnu packages cs)
  #:use-module (guix packages)
  #:use-module (guix build-system gnu))
(define pairs '(("a" . "1") ("b" . "2") ("a" . "3")))
(define-public p
  (package
    (name (string-filter (char-set-complement (char-set #\_ #\-)) "a_b-c"))
    (version (string-filter (char-set #\1 #\2 #\.) "0.1_2.3"))
    (source #f) (build-system gnu-build-system)
    (synopsis (string-append (car (car (assoc-remove! pairs "a")))
                             (number->string (length (assoc-remove! pairs "a")))
                             (number->string (length pairs))))
    (description "d") (home-page "h") (license #f)))
(define-public q
  (package (inherit p) (name "q") (version (string-filter (char-set "x") "x"))))
"#;
    let eval = eval_modules(&[("gnu/packages/cs.scm", text)]);
    let p = record(&eval, "p");
    assert_eq!(p["name"], "abc", "{p}");
    assert_eq!(p["version"], ".12.", "{p}");
    // `assoc-remove!` removes every pair with the key; the list it was
    // given is left as it was.
    assert_eq!(p["synopsis"], "b13", "{p}");
    // A char-set of something other than characters is an error.
    let q = record(&eval, "q");
    assert_eq!(q["version"], serde_json::Value::Null);
    assert!(q["errors"][0].as_str().unwrap().contains("char-set"), "{q}");
}

#[test]
fn multiple_values_and_global_substitution_evaluate_as_guile() {
    let text = r#"
(define-module (gnu packages mv)
  #:use-module (guix packages)
  #:use-module (guix build-system gnu))
(define (two) (values "a" "b"))
(define-public p
  (package
    (name (let-values (((x y) (two)) ((z . rest) (values "c" "d" "e")) ((all) (values "f")))
            (string-append x y z (car rest) (cadr rest) all)))
    (version (regexp-substitute/global
              #f "((R-ro)|(R-it))(-)" "2.032R-ro-1.052R-it-1.012R-VAR"
              'pre 1 "/" 'post))
    (source #f) (build-system gnu-build-system)
    (synopsis (string-append
               (receive (a . more) (values "r" "s") (string-append a (car more)))
               (call-with-values two (lambda (x y) (string-append y x)))
               (let*-values (((x) (values "1")) ((y) (values (string-append x "2")))) y)
               (regexp-substitute/global #f "[0-9]+" "a1b22c" 'pre "<" 0 ">" 'post)
               "|"
               (regexp-substitute/global #f "b" "abcb" 'pre "B")))
    (description "d") (home-page "h") (license #f)))
(define-public q
  (package (inherit p) (name "q")
    (version (let-values (((x y) (values "1"))) x))))
"#;
    let eval = eval_modules(&[("gnu/packages/mv.scm", text)]);
    let p = record(&eval, "p");
    assert_eq!(p["name"], "abcdef", "{p}");
    assert_eq!(p["version"], "2.032R-ro/1.052R-it/1.012R-VAR", "{p}");
    // Without 'post, the first match ends the substitution.
    assert_eq!(p["synopsis"], "rsba12a<1>b<22>c|aB", "{p}");
    // Too few values for the variables is an error.
    let q = record(&eval, "q");
    assert_eq!(q["version"], serde_json::Value::Null);
    assert!(
        q["errors"][0]
            .as_str()
            .unwrap()
            .contains("1 values for 2 variables"),
        "{q}"
    );
}

#[test]
fn gexp_input_in_arguments_leaves_them_a_list() {
    // As in commencement.scm: a procedure looks into arguments that refer
    // to a package's output through `gexp-input`.
    let text = r#"
(define-module (gnu packages gi)
  #:use-module (guix packages)
  #:use-module (guix build-system gnu))
(define-public lib
  (package
    (name "lib") (version "1") (source #f) (build-system gnu-build-system)
    (outputs '("out" "lib"))
    (synopsis "s") (description "d") (home-page "h") (license #f)))
(define-public p
  (package (inherit lib) (name "p")
    (arguments `(#:allowed-references (,(gexp-input lib "lib")) #:tests? #f))))
(define-public q
  (package (inherit lib) (name "q")
    (version (if (memq #:tests? (package-arguments p)) "has-tests-key" "no"))))
"#;
    let eval = eval_modules(&[("gnu/packages/gi.scm", text)]);
    let p = record(&eval, "p");
    assert_eq!(p["errors"], serde_json::Value::Null, "{p}");
    assert_eq!(
        p["argument_keywords"],
        serde_json::json!(["allowed-references", "tests?"]),
        "{p}"
    );
    let q = record(&eval, "q");
    assert_eq!(q["version"], "has-tests-key", "{q}");
}

#[test]
fn keyword_argument_lists_are_stripped_and_forced_as_guix_utils_does() {
    // The examples of guix/utils.scm's docstrings.
    let text = r#"
(define-module (gnu packages kw)
  #:use-module (guix packages)
  #:use-module (guix build-system gnu))
(define (show args) (format #f "~a" args))
(define-public p
  (package
    (name (string-append
           (show (ensure-keyword-arguments '(#:foo 2) '(#:foo 2))) "|"
           (show (ensure-keyword-arguments '(#:foo 2) '(#:bar 3))) "|"
           (show (ensure-keyword-arguments '(#:foo 2) '(#:bar 3 #:foo 42)))))
    (version (show (strip-keyword-arguments '(#:a #:c) '(#:a 1 #:b 2 x #:c 3 #:d 4))))
    (source #f) (build-system gnu-build-system)
    (synopsis "s") (description "d") (home-page "h") (license #f)))
(define-public q
  (package (inherit p) (name "q")
    (version (show (ensure-keyword-arguments "not a list" '(#:a 1))))))
"#;
    let eval = eval_modules(&[("gnu/packages/kw.scm", text)]);
    let p = record(&eval, "p");
    assert_eq!(
        p["name"], "(#:foo 2)|(#:foo 2 #:bar 3)|(#:foo 42 #:bar 3)",
        "{p}"
    );
    assert_eq!(p["version"], "(#:b 2 x #:d 4)", "{p}");
    let q = record(&eval, "q");
    assert_eq!(q["version"], serde_json::Value::Null, "{q}");
}

#[test]
fn search_path_on_the_load_path_names_the_file_in_the_tree() {
    // As make-ld-wrapper in base.scm: a file input found on %load-path.
    let text = r#"
(define-module (gnu packages sp)
  #:use-module (guix packages)
  #:use-module (guix build-system gnu))
(define-public p
  (package
    (name "p") (version "1") (source #f) (build-system gnu-build-system)
    (inputs `(("wrapper" ,(search-path %load-path "gnu/packages/ld-wrapper.in"))))
    (synopsis "s") (description "d") (home-page "h") (license #f)))
(define-public q
  (package (inherit p) (name "q")
    (version (search-path '("/usr/share/guile") "x.scm"))))
"#;
    let eval = eval_modules(&[("gnu/packages/sp.scm", text)]);
    let p = record(&eval, "p");
    assert_eq!(
        p["inputs"],
        serde_json::json!([["wrapper", null, null, "\"gnu/packages/ld-wrapper.in\""]]),
        "{p}"
    );
    // Any other path is not known: an error, not a guess.
    let q = record(&eval, "q");
    assert_eq!(q["version"], serde_json::Value::Null, "{q}");
    assert!(
        q["errors"][0].as_str().unwrap().contains("only %load-path"),
        "{q}"
    );
}

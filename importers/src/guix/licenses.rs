//! Guix license record names (`name` of the records in `(guix licenses)`)
//! and the SPDX identifiers they stand for. Names without an SPDX
//! counterpart (`FSF-free`, `non-copyleft`, `X11-style`, ...) have none and
//! are kept as Guix names them.

/// Guix license name -> SPDX identifier.
const GUIX_TO_SPDX: &[(&str, &str)] = &[
    ("AGPL 1", "AGPL-1.0-only"),
    ("AGPL 3", "AGPL-3.0-only"),
    ("AGPL 3+", "AGPL-3.0-or-later"),
    ("APSL 2.0", "APSL-2.0"),
    ("ASL 1.1", "Apache-1.1"),
    ("ASL 2.0", "Apache-2.0"),
    ("Boost 1.0", "BSL-1.0"),
    ("Zero-Clause BSD", "0BSD"),
    ("BSD 1-Clause", "BSD-1-Clause"),
    ("FreeBSD", "BSD-2-Clause"),
    ("Modified BSD", "BSD-3-Clause"),
    ("Original BSD", "BSD-4-Clause"),
    ("CC0", "CC0-1.0"),
    ("CC-BY-SA 4.0", "CC-BY-SA-4.0"),
    ("CC-BY-SA 3.0", "CC-BY-SA-3.0"),
    ("CC-BY-SA 2.0", "CC-BY-SA-2.0"),
    ("CC-BY 4.0", "CC-BY-4.0"),
    ("CC-BY 3.0", "CC-BY-3.0"),
    ("CC-BY 2.0", "CC-BY-2.0"),
    ("CDDL 1.0", "CDDL-1.0"),
    ("CDDL 1.1", "CDDL-1.1"),
    ("CeCILL", "CECILL-2.1"),
    ("CeCILL-B", "CECILL-B"),
    ("CeCILL-C", "CECILL-C"),
    ("Artistic License 2.0", "Artistic-2.0"),
    ("Clarified Artistic", "ClArtistic"),
    ("copyleft-next", "copyleft-next-0.3.0"),
    ("CPL 1.0", "CPL-1.0"),
    ("CUA Office Public License v1.0", "CUA-OPL-1.0"),
    ("EDL 1.0", "BSD-3-Clause"),
    ("EPL 1.0", "EPL-1.0"),
    ("EPL 2.0", "EPL-2.0"),
    ("EUPL 1.2", "EUPL-1.2"),
    ("Expat", "MIT"),
    ("Freetype", "FTL"),
    ("Giftware", "Giftware"),
    ("GPL 1", "GPL-1.0-only"),
    ("GPL 1+", "GPL-1.0-or-later"),
    ("GPL 2", "GPL-2.0-only"),
    ("GPL 2+", "GPL-2.0-or-later"),
    ("GPL 3", "GPL-3.0-only"),
    ("GPL 3+", "GPL-3.0-or-later"),
    ("FDL 1.1+", "GFDL-1.1-or-later"),
    ("FDL 1.2+", "GFDL-1.2-or-later"),
    ("FDL 1.3+", "GFDL-1.3-or-later"),
    ("FreeBSD Documentation License", "FreeBSD-DOC"),
    ("Open Publication License 1.0 or later", "OPUBL-1.0"),
    ("The Open Software License 2.1", "OSL-2.1"),
    ("ISC", "ISC"),
    ("IJG", "IJG"),
    ("IBMPL 1.0", "IPL-1.0"),
    ("Imlib2", "Imlib2"),
    ("IPA Font License", "IPA"),
    ("Donald Knuth's license for TeX", "Knuth-CTAN"),
    ("Free Art License 1.3", "LAL-1.3"),
    ("LGPL 2.0", "LGPL-2.0-only"),
    ("LGPL 2.0+", "LGPL-2.0-or-later"),
    ("LGPL 2.1", "LGPL-2.1-only"),
    ("LGPL 2.1+", "LGPL-2.1-or-later"),
    ("LGPL 3", "LGPL-3.0-only"),
    ("LGPL 3+", "LGPL-3.0-or-later"),
    ("LPPL 1.0+", "LPPL-1.0"),
    ("LPPL 1.1+", "LPPL-1.1"),
    ("LPPL 1.2", "LPPL-1.2"),
    ("LPPL 1.2+", "LPPL-1.2"),
    ("LPPL 1.3", "LPPL-1.3a"),
    ("LPPL 1.3+", "LPPL-1.3a"),
    ("LPPL 1.3a", "LPPL-1.3a"),
    ("LPPL 1.3a+", "LPPL-1.3a"),
    ("LPPL 1.3c", "LPPL-1.3c"),
    ("LPPL 1.3c+", "LPPL-1.3c"),
    ("MirOS", "MirOS"),
    ("MPL 1.0", "MPL-1.0"),
    ("MPL 1.1", "MPL-1.1"),
    ("MPL 2.0", "MPL-2.0"),
    ("Ms-PL", "MS-PL"),
    ("NCSA/University of Illinois Open Source License", "NCSA"),
    (
        "Open Government Licence for Public Sector Information",
        "OGL-UK-3.0",
    ),
    ("OpenSSL", "OpenSSL"),
    ("OpenLDAPv2.8", "OLDAP-2.8"),
    ("Python Software Foundation License", "PSF-2.0"),
    ("QPL", "QPL-1.0"),
    ("Ruby License", "Ruby"),
    ("SGI Free Software License B, version 2.0", "SGI-B-2.0"),
    ("SIL OFL 1.1", "OFL-1.1"),
    ("Sleepycat", "Sleepycat"),
    ("Tcl/Tk", "TCL"),
    ("Vim", "Vim"),
    ("Unicode", "Unicode-DFS-2016"),
    ("Unlicense", "Unlicense"),
    ("W3C Software Notice and License", "W3C"),
    ("WTFPL 2", "WTFPL"),
    ("wxWindows 3.1+", "wxWindows"),
    ("X11", "X11"),
    ("Zope Public License 2.1", "ZPL-2.1"),
    ("Zlib", "Zlib"),
    ("HPND", "HPND"),
];

/// The SPDX identifier of a Guix license record name, if it has one.
pub fn spdx_for(guix_name: &str) -> Option<&'static str> {
    GUIX_TO_SPDX
        .iter()
        .find(|(g, _)| *g == guix_name)
        .map(|(_, s)| *s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_names_map_and_vague_ones_do_not() {
        assert_eq!(spdx_for("GPL 3+"), Some("GPL-3.0-or-later"));
        assert_eq!(spdx_for("Expat"), Some("MIT"));
        assert_eq!(spdx_for("FSF-free"), None);
        assert_eq!(spdx_for("non-copyleft"), None);
    }
}

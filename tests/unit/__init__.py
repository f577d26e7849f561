"""One test file per module of site_builder/ (test_<module>.py): fast, no browser, no
whole-site build."""

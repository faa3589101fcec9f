package store

// NormText exposes normText to the tests of package store_test.
var NormText = normText

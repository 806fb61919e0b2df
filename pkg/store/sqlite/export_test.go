package sqlite

// WALTrimBytes lets the tests state their bounds in terms of the threshold Open trims at.
const WALTrimBytes = walTrimBytes

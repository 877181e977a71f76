import Logging

/// What the records layer reports while running (swift-log; the level and the output are
/// the program's choice, `livehub serve --log-level`).
enum RecordsLog {
    static let logger = Logger(label: "livehub.records")
}

import Logging

/// What the server reports while running: one line per event, its facts as key=value
/// metadata (swift-log; `livehub serve --log-level` sets the level).
enum ServerLog {
    static let logger = Logger(label: "livehub.server")
}

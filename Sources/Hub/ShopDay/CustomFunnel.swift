/// A funnel a shop defines (issue 32): ordered steps, each a page type (optionally one page
/// of it) or a named event. A session counts at step k when it reached steps 1…k in that
/// order; the hub counts each step as it is reached, so a day's numbers are sums of rollups.
public struct CustomFunnel: Sendable, Equatable {
    public enum Step: Sendable, Equatable {
        case page(type: PageType, identifier: String?)
        case event(name: String)

        func matches(page type: PageType, identifier: String?) -> Bool {
            guard case .page(let wanted, let wantedIdentifier) = self else { return false }
            return wanted == type && (wantedIdentifier == nil || wantedIdentifier == identifier)
        }

        func matches(event name: String) -> Bool {
            guard case .event(let wanted) = self else { return false }
            return wanted == name
        }
    }

    public static let maxSteps = 8
    public static let minSteps = 2
    /// Funnels a shop may define (each costs every page visit and event a comparison per funnel).
    public static let maxFunnels = 20

    public var id: String
    public var name: String
    public var steps: [Step]

    public init(id: String, name: String, steps: [Step]) {
        self.id = id
        self.name = name
        self.steps = steps
    }

    /// `[a-z0-9_-]{1,40}`: it names a rollup metric and a path.
    public static func isValidID(_ id: String) -> Bool {
        !id.isEmpty && id.utf8.count <= 40 && id.utf8.allSatisfy { ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 95 || $0 == 45 }
    }
}

/// The funnels the hub counts, with a generation that changes when they do (a session's
/// progress made under other funnels starts again). The generation is a hash of the
/// definitions, so a restart that reads the same funnels keeps the progress snapshots hold.
public struct FunnelSet: Sendable, Equatable {
    public private(set) var funnels: [CustomFunnel] = []
    public private(set) var generation: UInt32 = 0

    public init() {}

    /// True if they differ from those held (and were taken).
    @discardableResult
    public mutating func replace(with funnels: [CustomFunnel]) -> Bool {
        let kept = Array(funnels.prefix(CustomFunnel.maxFunnels))
        guard kept != self.funnels else { return false }
        self.funnels = kept
        var text = ""
        for funnel in kept {
            text += funnel.id + "\u{1}"
            for step in funnel.steps {
                switch step {
                case .page(let type, let identifier): text += "p\u{2}\(type.rawValue)\u{2}\(identifier ?? "")\u{1}"
                case .event(let name): text += "e\u{2}\(name)\u{1}"
                }
            }
        }
        // Never 0, which a session that met no funnel holds.
        generation = UInt32(truncatingIfNeeded: SessionDay.mark(2, text)) | 1
        return true
    }
}

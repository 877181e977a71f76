/// `livehub --version`.
public enum LiveHubVersion {
    public static let current = "2.0.0-dev"
}

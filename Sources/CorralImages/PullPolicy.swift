/// Kubernetes' imagePullPolicy.
public enum PullPolicy: String, Sendable, CaseIterable {
    case always = "Always"
    case ifNotPresent = "IfNotPresent"
    case never = "Never"

    /// The API server's default for a container image: Always for `:latest` or no tag and no
    /// digest, IfNotPresent otherwise.
    public static func defaulted(for image: String) -> PullPolicy {
        guard let ref = try? ImageReference(parsing: image) else { return .ifNotPresent }
        // ImageReference adds `latest` when the image names neither tag nor digest.
        return ref.tag == "latest" ? .always : .ifNotPresent
    }

    /// Parses the field value; nil or empty means "use the default for the image".
    public static func resolve(_ field: String?, image: String) -> PullPolicy {
        field.flatMap { PullPolicy(rawValue: $0) } ?? defaulted(for: image)
    }
}

/// What the node should do before starting a container.
public enum PullDecision: Equatable, Sendable {
    /// Pull from the registry (then use the pulled image).
    case pull
    /// Use the image already in the store.
    case useLocal
    /// Give up with this error (reason `ErrImageNeverPull`).
    case fail(ImageError)

    /// Decides from the policy and whether the image is present. Pure.
    public static func decide(policy: PullPolicy, image: String, present: Bool) -> PullDecision {
        switch policy {
        case .always: return .pull
        case .ifNotPresent: return present ? .useLocal : .pull
        case .never: return present ? .useLocal : .fail(.neverPull(image))
        }
    }

    /// The container waiting reason kubelet shows for a failed decision or pull.
    public static let reasonNeverPull = "ErrImageNeverPull"
    /// Reason for a failed pull.
    public static let reasonPullFailed = "ErrImagePull"
    /// Reason while waiting to retry a failed pull.
    public static let reasonBackOff = "ImagePullBackOff"
}

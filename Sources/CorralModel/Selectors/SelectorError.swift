/// A label or field selector the server cannot use. `message` is worded the
/// way kube-apiserver words it, so the API layer can return it verbatim as the
/// message of a 400 BadRequest Status.
public struct SelectorError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What went wrong, for callers that branch on it.
    public enum Kind: String, Equatable, Sendable {
        /// `labelSelector` did not parse or failed key/value validation.
        case invalidLabelSelector
        /// `fieldSelector` did not parse (bad term or bad escape).
        case invalidFieldSelector
        /// The field selector names a field the resource type cannot be selected by.
        case fieldLabelNotSupported
    }

    /// Which selector failed, and how.
    public var kind: Kind
    /// kube-apiserver's wording, e.g. `unable to parse requirement: found '', expected: identifier`.
    public var message: String

    /// An error with kube-apiserver's `message`.
    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    /// `field label not supported: <field>`, what kube-apiserver answers for a
    /// field selector on a field the type does not index.
    public static func fieldLabelNotSupported(_ field: String) -> SelectorError {
        SelectorError(.fieldLabelNotSupported, "field label not supported: \(field)")
    }

    /// The message.
    public var description: String { message }
}

import CorralModel

/// A position in the VMI document together with its KubeVirt field path,
/// so every read can report exactly which field was wrong.
struct SpecNode {
    let value: JSONValue?
    let path: String

    init(_ value: JSONValue?, path: String) {
        self.value = value
        self.path = path
    }

    /// True when the field is present and not null.
    var exists: Bool { if let v = value, !v.isNull { return true }; return false }

    subscript(key: String) -> SpecNode { SpecNode(value?[key], path: path.isEmpty ? key : path + "." + key) }

    /// Elements of an array field, each with an indexed path; empty when absent.
    func items() throws -> [SpecNode] {
        guard exists else { return [] }
        guard let arr = value?.arrayValue else { throw typeError("an array") }
        return arr.enumerated().map { SpecNode($0.element, path: "\(path)[\($0.offset)]") }
    }

    /// Members of an object field with their paths; empty when absent.
    func members() throws -> [(String, SpecNode)] {
        guard exists else { return [] }
        guard let obj = value?.objectValue else { throw typeError("an object") }
        return obj.map { ($0.key, SpecNode($0.value, path: path + "." + $0.key)) }
    }

    func string() throws -> String? {
        guard exists else { return nil }
        guard let s = value?.stringValue else { throw typeError("a string") }
        return s
    }

    func int() throws -> Int64? {
        guard exists else { return nil }
        guard let i = value?.intValue else { throw typeError("an integer") }
        return i
    }

    func bool() throws -> Bool? {
        guard exists else { return nil }
        guard let b = value?.boolValue else { throw typeError("a boolean") }
        return b
    }

    /// Object-valued fields like `bridge: {}` whose presence is the setting.
    var isObject: Bool { value?.objectValue != nil }

    func invalid(_ message: String) -> DomainConversionError {
        .invalidField(field: path, message: message)
    }

    private func typeError(_ expected: String) -> DomainConversionError {
        .invalidField(field: path, message: "must be \(expected), got \(value?.typeName ?? "nothing")")
    }
}

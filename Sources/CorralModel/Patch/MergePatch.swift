/// RFC 7386 JSON Merge Patch.
extension Patch {
    /// Applies a JSON merge patch (`application/merge-patch+json`): members
    /// set to null are removed, objects merge recursively, anything else
    /// (arrays, scalars) replaces the target. A patch that is not an object
    /// replaces the whole document. Legal for every type; never fails.
    public static func applyMergePatch(_ patch: JSONValue, to doc: JSONValue) -> JSONValue {
        guard case .object(let p) = patch else { return patch }
        var target: JSONObject
        if case .object(let t) = doc { target = t } else { target = JSONObject() }
        for (key, value) in p {
            if value.isNull {
                target[key] = nil
            } else {
                target[key] = applyMergePatch(value, to: target[key] ?? .null)
            }
        }
        return .object(target)
    }

    /// Computes the RFC 7386 merge patch that turns `original` into `modified`:
    /// removed members become null, changed arrays and scalars are given whole.
    public static func createMergePatch(original: JSONValue, modified: JSONValue) -> JSONValue {
        guard case .object(let o) = original, case .object(let m) = modified else {
            return modified
        }
        var patch = JSONObject()
        for (key, mv) in m {
            if let ov = o[key] {
                if case .object = ov, case .object = mv {
                    let sub = createMergePatch(original: ov, modified: mv)
                    if sub.objectValue?.isEmpty == false { patch[key] = sub }
                } else if !JSONEquality.equal(ov, mv) {
                    patch[key] = mv
                }
            } else {
                patch[key] = mv
            }
        }
        for key in o.keys where m[key] == nil { patch[key] = .null }
        return .object(patch)
    }
}

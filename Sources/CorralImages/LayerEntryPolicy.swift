/// What to do with one layer tar entry, decided from its name and link target alone.
public enum LayerEntryAction: Equatable, Sendable {
    /// Extract it at these path components below the layer root.
    case extract([String])
    /// Hard link at `path` to `target` (both components below the layer root).
    case hardlink(path: [String], target: [String])
    /// `.wh.NAME`: hide `NAME` of lower layers (an overlay whiteout device in `dir`).
    case whiteout(dir: [String], name: String)
    /// `.wh..wh..opq`: hide everything lower layers have in `dir`.
    case opaque(dir: [String])
    /// Nothing to do (the root entry `./`, aufs bookkeeping files).
    case skip
}

/// The pure safety rules of layer unpacking: refuses absolute names, `..` components and hard
/// links that leave the layer, and recognises whiteouts. Symlink targets are not judged here:
/// absolute targets (`bin/sh -> /bin/busybox`) are normal; writes through symlinks are refused by
/// the unpacker, which can see the tree.
public enum LayerEntryPolicy {
    static let whiteoutPrefix = ".wh."
    static let opaqueMarker = ".wh..wh..opq"

    /// Splits a member name into safe components, or says why it is unsafe.
    public static func components(_ name: String) -> Result<[String], ImageError> {
        if name.hasPrefix("/") { return .failure(reject(name, "has an absolute path")) }
        var parts: [String] = []
        for c in name.split(separator: "/", omittingEmptySubsequences: true) {
            if c == "." { continue }
            if c == ".." { return .failure(reject(name, "contains a '..' component")) }
            parts.append(String(c))
        }
        return .success(parts)
    }

    /// Decides the action for an entry named `name`; `hardlinkTarget` is the entry's hard link target if any.
    public static func action(name: String, hardlinkTarget: String?) -> Result<LayerEntryAction, ImageError> {
        let parts: [String]
        switch components(name) {
        case .failure(let e): return .failure(e)
        case .success(let p): parts = p
        }
        guard let base = parts.last else { return .success(.skip) }
        let dir = Array(parts.dropLast())
        if base == opaqueMarker { return .success(.opaque(dir: dir)) }
        if base.hasPrefix(whiteoutPrefix + whiteoutPrefix) { return .success(.skip) }
        if base.hasPrefix(whiteoutPrefix) {
            let hidden = String(base.dropFirst(whiteoutPrefix.count))
            guard !hidden.isEmpty, hidden != ".", hidden != ".." else { return .failure(reject(name, "is a whiteout of nothing")) }
            return .success(.whiteout(dir: dir, name: hidden))
        }
        if let t = hardlinkTarget {
            if t.hasPrefix("/") { return .failure(reject(name, "is a hard link to an absolute path \(t)")) }
            guard case .success(let target) = components(t), !target.isEmpty else {
                return .failure(reject(name, "is a hard link to \(t), outside the layer"))
            }
            return .success(.hardlink(path: parts, target: target))
        }
        return .success(.extract(parts))
    }

    /// The error for `entry`; the unpacker fills in the layer digest.
    static func reject(_ entry: String, _ why: String) -> ImageError {
        .unsafeLayerEntry(layer: "", entry: entry, reason: why)
    }
}

/// kube-apiserver's defaulting and validation of CustomResourceDefinition
/// objects (apiextensions v1 defaults.go and validation.go), worded as kube
/// words the field causes.
public enum CRDValidation {
    /// Fills what v1 defaulting fills: names.singular, names.listKind, conversion.strategy.
    public static func defaulted(_ crd: JSONValue) -> JSONValue {
        var o = crd
        let kind = o[path: ["spec", "names", "kind"]]?.stringValue ?? ""
        if (o[path: ["spec", "names", "singular"]]?.stringValue ?? "").isEmpty, !kind.isEmpty {
            o.set(path: ["spec", "names", "singular"], to: .string(kind.lowercased()))
        }
        if (o[path: ["spec", "names", "listKind"]]?.stringValue ?? "").isEmpty, !kind.isEmpty {
            o.set(path: ["spec", "names", "listKind"], to: .string(kind + "List"))
        }
        if o[path: ["spec", "conversion"]]?.objectValue == nil, o["spec"]?.objectValue != nil {
            o.set(path: ["spec", "conversion"], to: ["strategy": "None"])
        }
        return o
    }

    /// Problems of a CRD being created (or of the new state of an update).
    public static func validate(_ obj: JSONValue) -> [FieldCause] {
        let crd = CRDView(obj)
        var out: [FieldCause] = []
        let names = crd.names
        let name = crd.name
        if !name.isEmpty && name != names.plural + "." + crd.group {
            out.append(.invalid("metadata.name", .string(name), "must be spec.names.plural+\".\"+spec.group"))
        }
        let group = crd.group
        if group.isEmpty {
            out.append(.required("spec.group"))
        } else if !NameRule.dns1123Subdomain.problems(group).isEmpty {
            out.append(.invalid("spec.group", .string(group), NameRule.dns1123Subdomain.problems(group).joined(separator: ",")))
        } else if !group.contains(".") {
            out.append(.invalid("spec.group", .string(group), "should be a domain with at least one dot"))
        }
        switch crd.scope {
        case "": out.append(.required("spec.scope"))
        case "Cluster", "Namespaced": break
        default: out.append(.notSupported("spec.scope", .string(crd.scope), ["Cluster", "Namespaced"]))
        }
        out += versions(crd)
        for (field, value) in [("plural", names.plural), ("singular", names.singular), ("kind", names.kind), ("listKind", names.listKind)]
            where value.isEmpty {
            out.append(.required("spec.names.\(field)"))
        }
        out += self.names(names, path: "spec.names")
        return out
    }

    /// Problems of an update: the new state, plus what may not change.
    public static func validateUpdate(_ new: JSONValue, old: JSONValue) -> [FieldCause] {
        var out = validate(new)
        let n = CRDView(new), o = CRDView(old)
        if o.condition("Established") == "True" {
            if n.scope != o.scope { out.append(.invalid("spec.scope", .string(n.scope), "field is immutable")) }
            if n.names.kind != o.names.kind { out.append(.invalid("spec.names.kind", .string(n.names.kind), "field is immutable")) }
        }
        if n.group != o.group { out.append(.invalid("spec.group", .string(n.group), "field is immutable")) }
        if n.names.plural != o.names.plural { out.append(.invalid("spec.names.plural", .string(n.names.plural), "field is immutable")) }
        let specVersions = Set(n.versions.map(\.name))
        for (i, v) in n.storedVersions.enumerated() where !specVersions.contains(v) {
            out.append(.invalid("status.storedVersions[\(i)]", .string(v),
                                "missing from spec.versions; \(v) was previously a storage version, and must remain in spec.versions until a storage migration ensures no data remains persisted in \(v) and removes \(v) from status.storedVersions"))
        }
        return out
    }

    static func versions(_ crd: CRDView) -> [FieldCause] {
        var out: [FieldCause] = []
        let versions = crd.versions
        let raw = crd.object[path: ["spec", "versions"]] ?? .null
        var seen = Set<String>()
        var unique = true
        for v in versions {
            let p = "spec.versions[\(v.index)]"
            if !seen.insert(v.name).inserted { unique = false }
            let problems = NameRule.dns1035Label.problems(v.name)
            if !problems.isEmpty { out.append(.invalid("\(p).name", .string(v.name), problems.joined(separator: ","))) }
            if let schema = v.schema {
                out += CRDSchemaRules.validate(schema, path: "\(p).schema.openAPIV3Schema", statusSubresource: v.statusSubresource)
            } else {
                out.append(.required("\(p).schema.openAPIV3Schema"))
            }
            if let s = v.scale { out += scale(s, path: "\(p).subresources") }
            for (j, c) in v.printerColumns.enumerated() { out += column(c, path: "\(p).additionalPrinterColumns[\(j)]") }
        }
        if !unique { out.append(.invalid("spec.versions", raw, "must contain unique version names")) }
        if versions.filter(\.storage).count != 1 {
            out.append(.invalid("spec.versions", raw, "must have exactly one version marked as storage version"))
        }
        return out
    }

    static func names(_ n: CRDView.Names, path: String) -> [FieldCause] {
        var out: [FieldCause] = []
        func label(_ s: String) -> String { NameRule.dns1035Label.problems(s).joined(separator: ",") }
        if !n.plural.isEmpty, !label(n.plural).isEmpty { out.append(.invalid("\(path).plural", .string(n.plural), label(n.plural))) }
        if !n.singular.isEmpty, !label(n.singular).isEmpty { out.append(.invalid("\(path).singular", .string(n.singular), label(n.singular))) }
        if !n.kind.isEmpty, !label(n.kind.lowercased()).isEmpty {
            out.append(.invalid("\(path).kind", .string(n.kind), "may have mixed case, but should otherwise match: " + label(n.kind.lowercased())))
        }
        if !n.listKind.isEmpty, !label(n.listKind.lowercased()).isEmpty {
            out.append(.invalid("\(path).listKind", .string(n.listKind), "may have mixed case, but should otherwise match: " + label(n.listKind.lowercased())))
        }
        for (i, s) in n.shortNames.enumerated() where !label(s).isEmpty {
            out.append(.invalid("\(path).shortNames[\(i)]", .string(s), label(s)))
        }
        if !n.kind.isEmpty && n.kind == n.listKind {
            out.append(.invalid("\(path).listKind", .string(n.listKind), "kind and listKind may not be the same"))
        }
        for (i, s) in n.categories.enumerated() where !label(s).isEmpty {
            out.append(.invalid("\(path).categories[\(i)]", .string(s), label(s)))
        }
        return out
    }

    static func scale(_ s: ScaleSpec, path: String) -> [FieldCause] {
        var out: [FieldCause] = []
        for (field, value, prefixes, what) in [("specReplicasPath", s.specReplicasPath, [".spec."], "should be a json path under .spec"),
                                               ("statusReplicasPath", s.statusReplicasPath, [".status."], "should be a json path under .status")] {
            let p = "\(path).scale.\(field)"
            if value.isEmpty { out.append(.required(p)); continue }
            if let e = simplePathProblem(value) { out.append(.invalid(p, .string(value), e)) } else if !prefixes.contains(where: value.hasPrefix) {
                out.append(.invalid(p, .string(value), what))
            }
        }
        if let l = s.labelSelectorPath, !l.isEmpty {
            let p = "\(path).scale.labelSelectorPath"
            if let e = simplePathProblem(l) { out.append(.invalid(p, .string(l), e)) } else if !l.hasPrefix(".spec.") && !l.hasPrefix(".status.") {
                out.append(.invalid(p, .string(l), "should be a json path under either .spec or .status"))
            }
        }
        return out
    }

    static func simplePathProblem(_ s: String) -> String? {
        if s.isEmpty { return "must not be empty" }
        if !s.hasPrefix(".") { return "must be a simple json path starting with ." }
        return nil
    }

    static let columnTypes = ["boolean", "date", "integer", "number", "string"]
    static let columnFormats = ["byte", "date", "date-time", "double", "float", "int32", "int64", "password"]

    static func column(_ c: PrinterColumn, path: String) -> [FieldCause] {
        var out: [FieldCause] = []
        if c.name.isEmpty { out.append(.required("\(path).name")) }
        if c.type.isEmpty {
            out.append(.required("\(path).type", "must be one of " + columnTypes.joined(separator: ",")))
        } else if !columnTypes.contains(c.type) {
            out.append(.invalid("\(path).type", .string(c.type), "must be one of " + columnTypes.joined(separator: ",")))
        }
        if !c.format.isEmpty && !columnFormats.contains(c.format) {
            out.append(.invalid("\(path).format", .string(c.format), "must be one of " + columnFormats.joined(separator: ",")))
        }
        if c.jsonPath.isEmpty { out.append(.required("\(path).JSONPath")) }
        return out
    }
}

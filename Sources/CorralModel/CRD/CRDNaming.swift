/// The naming and establishing decisions of kube-apiserver's CRD status
/// controllers (NamingConditionController, EstablishingController), as pure
/// functions: which names a CRD gets, and the status conditions to write.
public enum CRDNaming {
    /// Resource names (plural, singular, short names) and kinds already taken in a group.
    public struct Claims: Sendable, Equatable {
        public var resources: Set<String> = []
        public var kinds: Set<String> = []
        public init() {}

        mutating func add(_ n: CRDView.Names) {
            for r in [n.plural, n.singular] + n.shortNames where !r.isEmpty { resources.insert(r) }
            for k in [n.kind, n.listKind] where !k.isEmpty { kinds.insert(k) }
        }
    }

    /// A condition as written to `status.conditions[]`.
    public struct Condition: Sendable, Equatable {
        public var type: String
        public var status: String
        public var reason: String
        public var message: String
        public init(type: String, status: String, reason: String, message: String) {
            self.type = type
            self.status = status
            self.reason = reason
            self.message = message
        }
    }

    /// Names held by built-in types of `group` (a CRD may not shadow them).
    public static func builtinClaims(_ types: [ResourceType], group: String) -> Claims {
        var c = Claims()
        for t in types where t.group == group && t.custom == nil {
            var n = CRDView.Names()
            n.plural = t.resource
            n.singular = t.singular
            n.shortNames = t.shortNames
            n.kind = t.kind
            n.listKind = t.listKind
            c.add(n)
        }
        return c
    }

    /// Names accepted by other CRDs of the same group.
    public static func claims(of others: [CRDView]) -> Claims {
        var c = Claims()
        for o in others { c.add(o.acceptedNames) }
        return c
    }

    /// The names `crd` may use and its NamesAccepted condition, given what is
    /// already taken: a requested name is granted when it is the one already
    /// accepted or nobody else holds it; otherwise the accepted one stays.
    public static func acceptNames(_ crd: CRDView, taken: Claims) -> (names: CRDView.Names, condition: Condition) {
        let requested = crd.names, accepted = crd.acceptedNames
        var out = accepted
        var failure: (String, String)?
        func check(_ want: String, _ have: String, _ used: Set<String>) -> String? {
            if want == have || !used.contains(want) { return nil }
            return "\"\(want)\" is already in use"
        }
        if let e = check(requested.plural, accepted.plural, taken.resources) { failure = ("PluralConflict", e) } else { out.plural = requested.plural }
        if let e = check(requested.singular, accepted.singular, taken.resources) { failure = ("SingularConflict", e) } else { out.singular = requested.singular }
        if requested.shortNames != accepted.shortNames {
            let errs = requested.shortNames.filter { !accepted.shortNames.contains($0) }.compactMap { check($0, "", taken.resources) }
            if errs.isEmpty { out.shortNames = requested.shortNames } else {
                failure = ("ShortNamesConflict", errs.count == 1 ? errs[0] : "[" + errs.joined(separator: ", ") + "]")
            }
        }
        if let e = check(requested.kind, accepted.kind, taken.kinds) { failure = ("KindConflict", e) } else { out.kind = requested.kind }
        if let e = check(requested.listKind, accepted.listKind, taken.kinds) { failure = ("ListKindConflict", e) } else { out.listKind = requested.listKind }
        out.categories = requested.categories
        if let (reason, message) = failure {
            return (out, Condition(type: "NamesAccepted", status: "False", reason: reason, message: message))
        }
        return (out, Condition(type: "NamesAccepted", status: "True", reason: "NoConflicts", message: "no conflicts found"))
    }

    /// The Established condition following NamesAccepted: once True it stays True.
    public static func established(_ crd: CRDView, namesAccepted: Condition) -> Condition {
        if crd.condition("Established") == "True" {
            return Condition(type: "Established", status: "True", reason: "InitialNamesAccepted", message: "the initial names have been accepted")
        }
        if namesAccepted.status == "True" {
            return Condition(type: "Established", status: "True", reason: "InitialNamesAccepted", message: "the initial names have been accepted")
        }
        return Condition(type: "Established", status: "False", reason: "NotAccepted", message: "not all names are accepted")
    }

    /// `conditions` with `c` set: the entry of its type is replaced, keeping its
    /// lastTransitionTime (and reason/message too) when the status did not change.
    public static func setCondition(_ conditions: [JSONValue], _ c: Condition, now: String) -> [JSONValue] {
        var out = conditions
        let old = out.firstIndex { $0["type"]?.stringValue == c.type }
        var time = now
        if let i = old, out[i]["status"]?.stringValue == c.status, let t = out[i]["lastTransitionTime"]?.stringValue { time = t }
        let entry: JSONValue = ["type": .string(c.type), "status": .string(c.status), "lastTransitionTime": .string(time),
                                "reason": .string(c.reason), "message": .string(c.message)]
        if let i = old { out[i] = entry } else { out.append(entry) }
        return out
    }

    /// The CRD with the status the naming and establishing controllers write.
    public static func withStatus(_ crd: CRDView, taken: Claims, now: String) -> JSONValue {
        let (names, accepted) = acceptNames(crd, taken: taken)
        let established = Self.established(crd, namesAccepted: accepted)
        var conds = setCondition(crd.conditions, accepted, now: now)
        conds = setCondition(conds, established, now: now)
        var obj = crd.object
        obj.set(path: ["status", "acceptedNames"], to: names.json)
        obj.set(path: ["status", "conditions"], to: .array(conds))
        if crd.storedVersions.isEmpty, let s = crd.storageVersion {
            obj.set(path: ["status", "storedVersions"], to: [.string(s)])
        }
        return obj
    }
}

/// `spec.domain.clock` → `<clock>` with offset (utc/timezone) and timers.
struct ClockConfigurator {
    static func configure(domain: SpecNode, context: ConverterContext) throws -> (XMLElement, [String]) {
        let clock = domain["clock"]
        var notes: [String] = []
        var el: XMLElement
        if let tz = try clock["timezone"].string() {
            if clock["utc"].exists { throw clock.invalid("only one of utc and timezone may be set") }
            // A zone name is a path below /usr/share/zoneinfo; refuse anything else.
            guard !tz.isEmpty, !tz.hasPrefix("/"), !tz.contains(".."),
                  tz.allSatisfy({ $0.isLetter || $0.isNumber || "/_+-".contains($0) }) else {
                throw clock["timezone"].invalid("\"\(tz)\" is not a time zone name")
            }
            el = XMLElement("clock", [("offset", "timezone"), ("timezone", tz)])
        } else {
            el = XMLElement("clock", [("offset", "utc")])
            if let offset = try clock["utc"]["offsetSeconds"].int(), offset != 0 {
                el.attributes.append(("adjustment", String(offset)))
            }
        }
        let timer = clock["timer"]
        for (kv, lv) in [("hpet", "hpet"), ("pit", "pit"), ("rtc", "rtc"), ("kvm", "kvmclock"), ("hyperv", "hypervclock")] {
            let node = timer[kv]
            guard node.exists else { continue }
            if context.emulation == .tcg, kv == "kvm" || kv == "hyperv" {
                notes.append("spec.domain.clock.timer.\(kv) ignored under TCG emulation")
                continue
            }
            var t = XMLElement("timer", [("name", lv)])
            if let tick = try node["tickPolicy"].string() {
                guard ["delay", "catchup", "merge", "discard"].contains(tick) else {
                    throw node["tickPolicy"].invalid("must be one of delay, catchup, merge, discard")
                }
                t.attributes.append(("tickpolicy", tick))
            }
            if kv == "rtc", let track = try node["track"].string() {
                guard ["guest", "wall"].contains(track) else { throw node["track"].invalid("must be guest or wall") }
                t.attributes.append(("track", track))
            }
            t.attributes.append(("present", try node["present"].bool() == false ? "no" : "yes"))
            el.append(t)
        }
        return (el, notes)
    }
}

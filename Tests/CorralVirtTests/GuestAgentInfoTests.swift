import CorralModel
import XCTest
@testable import CorralVirt

/// The guest agent channel state from live domain XML, and virDomainGetGuestInfo's flat
/// parameters mapped to KubeVirt's VirtualMachineInstanceGuestAgentInfo (all pure).
final class GuestAgentInfoTests: XCTestCase {
    private func domainXML(channelTarget: String) -> String {
        """
        <domain type='kvm' id='3'>
          <name>ns_vm</name>
          <devices>
            <serial type='pty'><target type='isa-serial' port='0'><model name='isa-serial'/></target></serial>
            <console type='pty' tty='/dev/pts/3'><target type='serial' port='0'/></console>
            <channel type='unix'>
              <source mode='bind' path='/run/libvirt/qemu/channel/3-ns_vm/org.qemu.guest_agent.0'/>
              \(channelTarget)
              <alias name='channel0'/>
              <address type='virtio-serial' controller='0' bus='0' port='1'/>
            </channel>
            <targetdev name='org.qemu.guest_agent.0' state='connected'/>
          </devices>
        </domain>
        """
    }

    func testChannelStateFromLiveXML() {
        let connected = domainXML(channelTarget: "<target type='virtio' name='org.qemu.guest_agent.0' state='connected'/>")
        XCTAssertEqual(GuestAgentInfo.channelState(domainXML: connected), .connected)
        let disconnected = domainXML(channelTarget: "<target type=\"virtio\" name=\"org.qemu.guest_agent.0\" state=\"disconnected\"/>")
        XCTAssertEqual(GuestAgentInfo.channelState(domainXML: disconnected), .disconnected)
        // Inactive XML or a QEMU without port events: the channel is there, its state is not.
        let noState = domainXML(channelTarget: "<target type='virtio' name='org.qemu.guest_agent.0'/>")
        XCTAssertEqual(GuestAgentInfo.channelState(domainXML: noState), .unknown)
        // Another channel (and the look-alike `<targetdev>` element) must not count as the agent.
        let other = domainXML(channelTarget: "<target type='virtio' name='org.example.other' state='connected'/>")
        XCTAssertEqual(GuestAgentInfo.channelState(domainXML: other), .absent)
    }

    func testAttributesHandleBothQuotesAndEntities() {
        let a = XMLStartTags.attributes(" type='virtio'\n name=\"a&amp;b\" state = 'x y'/")
        XCTAssertEqual(a, ["type": "virtio", "name": "a&b", "state": "x y"])
    }

    /// What libvirt 9 returns for a Debian 12 guest (types OS|HOSTNAME|TIMEZONE|USERS|FILESYSTEM).
    private let debianParams: [String: TypedParamValue] = [
        "user.count": .uint(1), "user.0.name": .string("root"), "user.0.login-time": .uint(1_717_000_000_123),
        "os.id": .string("debian"), "os.name": .string("Debian GNU/Linux"),
        "os.pretty-name": .string("Debian GNU/Linux 12 (bookworm)"), "os.version": .string("12 (bookworm)"),
        "os.version-id": .string("12"), "os.kernel-release": .string("6.1.0-21-amd64"),
        "os.kernel-version": .string("#1 SMP PREEMPT_DYNAMIC Debian 6.1.90-1 (2024-05-03)"), "os.machine": .string("x86_64"),
        "timezone.name": .string("CET"), "timezone.offset": .int(3600),
        "hostname": .string("corral-deb-1"),
        "fs.count": .uint(2),
        "fs.0.name": .string("vda2"), "fs.0.mountpoint": .string("/"), "fs.0.fstype": .string("ext4"),
        "fs.0.total-bytes": .uint(3_152_506_880), "fs.0.used-bytes": .uint(1_010_000_000),
        "fs.0.disk.count": .uint(1), "fs.0.disk.0.alias": .string("vda"),
        "fs.1.name": .string("vda1"), "fs.1.mountpoint": .string("/boot"), "fs.1.fstype": .string("vfat"),
    ]

    func testDocumentHasKubeVirtFieldNames() {
        let doc = GuestAgentInfo.document(debianParams)
        XCTAssertEqual(doc["hostname"]?.stringValue, "corral-deb-1")
        XCTAssertEqual(doc[path: ["os", "id"]]?.stringValue, "debian")
        XCTAssertEqual(doc[path: ["os", "versionId"]]?.stringValue, "12")
        XCTAssertEqual(doc[path: ["os", "prettyName"]]?.stringValue, "Debian GNU/Linux 12 (bookworm)")
        XCTAssertEqual(doc[path: ["os", "kernelRelease"]]?.stringValue, "6.1.0-21-amd64")
        XCTAssertEqual(doc[path: ["os", "kernelVersion"]]?.stringValue, "#1 SMP PREEMPT_DYNAMIC Debian 6.1.90-1 (2024-05-03)")
        XCTAssertEqual(doc[path: ["os", "machine"]]?.stringValue, "x86_64")
        XCTAssertEqual(doc[path: ["os", "name"]]?.stringValue, "Debian GNU/Linux")
        XCTAssertEqual(doc[path: ["os", "version"]]?.stringValue, "12 (bookworm)")
        XCTAssertEqual(doc[path: ["os", "id"]]?.stringValue, "debian")
        XCTAssertEqual(doc["timezone"]?.stringValue, "CET, 3600")
        // Nothing libvirt cannot tell is made up.
        XCTAssertNil(doc["guestAgentVersion"])
        XCTAssertNil(doc["supportedCommands"])
    }

    func testUsersAndFilesystems() {
        let doc = GuestAgentInfo.document(debianParams)
        let users = doc["userList"]?.arrayValue ?? []
        XCTAssertEqual(users.count, 1)
        XCTAssertEqual(users.first?["userName"]?.stringValue, "root")
        XCTAssertEqual(users.first?["loginTime"], .double(1_717_000_000_123))
        XCTAssertNil(users.first?["domain"])
        let disks = doc[path: ["fsInfo", "disks"]]?.arrayValue ?? []
        XCTAssertEqual(disks.map { $0["mountPoint"]?.stringValue }, ["/", "/boot"])
        XCTAssertEqual(disks.first?["diskName"]?.stringValue, "vda2")
        XCTAssertEqual(disks.first?["fileSystemType"]?.stringValue, "ext4")
        XCTAssertEqual(disks.first?["totalBytes"]?.intValue, 3_152_506_880)
        XCTAssertEqual(disks.first?["usedBytes"]?.intValue, 1_010_000_000)
        // A filesystem without sizes (libvirt leaves them out) reports zero, as KubeVirt does.
        XCTAssertEqual(disks.last?["totalBytes"]?.intValue, 0)
    }

    func testMinimalAnswer() {
        // An agent that only answered the OS query: no users, no timezone, an empty filesystem list.
        let doc = GuestAgentInfo.document(["os.id": .string("alpine"), "fs.count": .uint(0)])
        XCTAssertEqual(doc[path: ["os", "id"]]?.stringValue, "alpine")
        XCTAssertNil(doc["hostname"])
        XCTAssertNil(doc["timezone"])
        XCTAssertNil(doc["userList"])
        XCTAssertEqual(doc[path: ["fsInfo", "disks"]], .array([]))
        // Counts that point past the entries given do not produce empty entries.
        let sparse = GuestAgentInfo.document(["user.count": .uint(3), "user.1.name": .string("alice")])
        XCTAssertEqual(sparse["userList"]?.arrayValue?.compactMap { $0["userName"]?.stringValue }, ["alice"])
    }

    func testAgentConnectedCondition() {
        let ready: JSONValue = ["type": "Ready", "status": "True"]
        // Connected for the first time: added with the current time, after the other conditions.
        let added = GuestAgentInfo.conditions([ready], previous: [ready], connected: true, now: "2026-01-01T00:00:05Z")
        XCTAssertEqual(added.count, 2)
        XCTAssertEqual(added[1], ["type": "AgentConnected", "status": "True", "lastProbeTime": .null,
                                  "lastTransitionTime": "2026-01-01T00:00:05Z"])
        // Still connected later: identical (transition time kept), so the status write is a no-op.
        let kept = GuestAgentInfo.conditions([ready, added[1]], previous: added, connected: true, now: "2026-01-01T00:09:00Z")
        XCTAssertEqual(kept, added)
        // Gone: removed.
        XCTAssertEqual(GuestAgentInfo.conditions([ready, added[1]], previous: added, connected: false, now: "x"), [ready])
        // Not known yet (just adopted): left as it was.
        XCTAssertEqual(GuestAgentInfo.conditions([ready], previous: added, connected: nil, now: "x"), added)
        XCTAssertEqual(GuestAgentInfo.conditions([ready], previous: [ready], connected: nil, now: "x"), [ready])
    }

    func testGuestInfoReplyGivesVersionAndCommands() {
        let reply = #"{"return":{"version":"7.2.19","supported_commands":[{"enabled":true,"name":"guest-ping","success-response":true},"#
            + #"{"enabled":false,"name":"guest-exec","success-response":true},{"enabled":true}]}}"#
        let facts = GuestAgentInfo.agentFacts(guestInfoReply: reply)
        XCTAssertEqual(facts?.version, "7.2.19")
        XCTAssertEqual(facts?.commands.map(\.name), ["guest-ping", "guest-exec"])
        XCTAssertEqual(facts?.commands.map(\.enabled), [true, false])
        let doc = GuestAgentInfo.document(["os.id": .string("debian")], guestInfoReply: reply)
        XCTAssertEqual(doc["guestAgentVersion"], "7.2.19")
        XCTAssertEqual(doc["supportedCommands"], [["name": "guest-ping", "enabled": true], ["name": "guest-exec"]])
        XCTAssertEqual(doc[path: ["os", "id"]], "debian")
        // An error reply, garbage, or no reply at all: the fields are left out, not invented.
        for bad in [#"{"error":{"class":"CommandNotFound","desc":"x"}}"#, "not json", #"{"return":{}}"#] {
            XCTAssertNil(GuestAgentInfo.agentFacts(guestInfoReply: bad), bad)
            XCTAssertNil(GuestAgentInfo.document([:], guestInfoReply: bad)["guestAgentVersion"])
        }
        XCTAssertNil(GuestAgentInfo.document([:])["supportedCommands"])
    }
}

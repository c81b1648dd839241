import XCTest
@testable import CorralVirt

final class CorralVirtModuleTests: XCTestCase {
    func testModuleLinks() { _ = CorralVirtModule.self }
}

import Testing
@testable import CaseEngine

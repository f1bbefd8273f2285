package dev.deployclaw.gates.core;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

@AnalyzeClasses(packages = "dev.deployclaw.gates.core", importOptions = ImportOption.DoNotIncludeTests.class)
class CoreArchitectureTest {
    @ArchTest
    static final ArchRule coreKnowsNoMigrationTool = noClasses().should().dependOnClassesThat()
            .resideInAnyPackage("org.flywaydb..", "liquibase..")
            .because("core is engine-agnostic: Flyway and Liquibase live in their adapter modules");

    @ArchTest
    static final ArchRule nothingOutsideCoreInternalsUsesJacksonInItsSignature = noClasses()
            .that().resideOutsideOfPackages("dev.deployclaw.gates.core.report..", "dev.deployclaw.gates.core.internal..")
            .should().dependOnClassesThat().resideInAnyPackage("com.fasterxml.jackson..")
            .because("Jackson is an implementation detail of the report writer");
}

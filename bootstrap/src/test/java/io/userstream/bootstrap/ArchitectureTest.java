package io.userstream.bootstrap;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.EvaluationResult;
import java.net.URI;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The hexagon's dependency rules, checked against the production classes of every module (bootstrap
 * depends on all of them, so they are all on this test's class path); and the bounded contexts' rules: the
 * classes of user-stats-service's modules use nothing of user-service's beyond the shared modules and the
 * proto contracts, and the other way round. The contexts share package names (e.g. both have classes in
 * {@code io.userstream.adapters.postgres}), so a class's context is the module it was built in, read from
 * where it was loaded ({@link Module}).
 *
 * <p>The {@link ArchTest} fields are run by ArchUnit's JUnit 5 engine against the classes named by
 * {@link AnalyzeClasses}. Each rule is built by a small factory method so that the tests at the
 * bottom can apply the very same rule definition to classes that are known to break it: a rule that can
 * never fail proves nothing. Two more tests guard against the silent failure mode of a class
 * import that finds nothing (or only part of the code base); {@code failOnEmptyShould} stays on for
 * the same reason.
 */
@AnalyzeClasses(packages = ArchitectureTest.BASE, importOptions = ImportOption.DoNotIncludeTests.class)
class ArchitectureTest {

    static final String BASE = "io.userstream";
    static final String JDK = "java..";
    static final String DOMAIN = "io.userstream.domain..";
    static final String APPLICATION = "io.userstream.application..";
    static final String ADAPTERS = "io.userstream.adapters..";
    static final String BOOTSTRAP = "io.userstream.bootstrap..";

    /** The technologies that belong in adapters and bootstrap only. */
    static final String[] INFRASTRUCTURE = {
        "io.helidon..",
        "java.sql..",
        "javax.sql..",
        "com.fasterxml.jackson..",
        "com.google.protobuf..",
        "com.google.rpc..",
        "io.grpc..",
        "io.userstream.proto..",
    };

    /** The adapter that owns the database: the only one that may speak SQL. */
    static final String POSTGRES_ADAPTER = "io.userstream.adapters.postgres..";
    /**
     * The embedded servers of {@code ops/run.sh --embedded}: their JDBC creates the embedded cluster's
     * databases (what ops/setup.sh does with psql), set-up of a server rather than the product's SQL.
     */
    static final String EMBEDDED_SERVERS = "io.userstream.bootstrap.embedded..";
    static final String LEGACY_TABLE_READER = "io.userstream.cli";

    /** Helidon's database client and JDBC, through which SQL is spoken. */
    static final String[] SQL = {
        "io.helidon.dbclient..",
        "java.sql..",
        "javax.sql..",
    };

    /** Which service a module's classes belong to. */
    enum Context {
        /** user-service's own: the user domain, its use cases, event store, crypto, ... */
        USER,
        /** user-stats-service's own. */
        STATS,
        /** What both services run: the proto contracts and the -common modules. */
        SHARED,
        /** The embedded both-in-one mode, which runs both services. */
        BOTH
    }

    /**
     * Every module of the build with its context, by its directory and artifactId. A class belongs to the
     * module whose {@code target/} (reactor build) or artifact (local repository) it was loaded from.
     */
    enum Module {
        DOMAIN("domain", "userstream-domain", Context.USER),
        DOMAIN_STATS("domain/stats", "userstream-domain-stats", Context.STATS),
        APPLICATION_COMMON("application/common", "userstream-application-common", Context.SHARED),
        APPLICATION("application", "userstream-application", Context.USER),
        APPLICATION_STATS("application/stats", "userstream-application-stats", Context.STATS),
        PROTO("proto", "userstream-proto", Context.SHARED),
        POSTGRES_COMMON("adapters/postgres-common", "userstream-adapter-postgres-common", Context.SHARED),
        POSTGRES("adapters/postgres", "userstream-adapter-postgres", Context.USER),
        POSTGRES_STATS("adapters/postgres-stats", "userstream-adapter-postgres-stats", Context.STATS),
        RABBITMQ_COMMON("adapters/rabbitmq-common", "userstream-adapter-rabbitmq-common", Context.SHARED),
        RABBITMQ("adapters/rabbitmq", "userstream-adapter-rabbitmq", Context.USER),
        RABBITMQ_STATS("adapters/rabbitmq-stats", "userstream-adapter-rabbitmq-stats", Context.STATS),
        GRPC_COMMON("adapters/grpc-common", "userstream-adapter-grpc-common", Context.SHARED),
        GRPC("adapters/grpc", "userstream-adapter-grpc", Context.USER),
        GRPC_STATS("adapters/grpc-stats", "userstream-adapter-grpc-stats", Context.STATS),
        METRICS("adapters/metrics", "userstream-adapter-metrics", Context.USER),
        METRICS_STATS("adapters/metrics-stats", "userstream-adapter-metrics-stats", Context.STATS),
        CRYPTO("adapters/crypto", "userstream-adapter-crypto", Context.USER),
        BOOTSTRAP_COMMON("bootstrap/common", "userstream-bootstrap-common", Context.SHARED),
        USER_SERVICE("bootstrap/user-service", "userstream-user-service", Context.USER),
        USER_STATS_SERVICE("bootstrap/user-stats-service", "userstream-user-stats-service", Context.STATS),
        EMBEDDED("bootstrap", "userstream-embedded", Context.BOTH);

        /** The repository's root: this test runs in bootstrap/. */
        private static final Path REPOSITORY = Path.of("..").toAbsolutePath().normalize();

        final String directory;
        final String artifactId;
        final Context context;

        Module(String directory, String artifactId, Context context) {
            this.directory = directory;
            this.artifactId = artifactId;
            this.context = context;
        }

        /** The module {@code javaClass} was built in, if it is one of this build's. */
        static Optional<Module> of(JavaClass javaClass) {
            return javaClass.getSource().flatMap(source -> of(source.getUri()));
        }

        static Optional<Module> of(URI classFile) {
            String location = classFile.toString();
            if (location.startsWith("jar:")) {
                location = location.substring("jar:".length(), location.indexOf("!/"));
            }
            if (!location.startsWith("file:")) {
                return Optional.empty();
            }
            Path path = Path.of(URI.create(location)).normalize();
            String file = path.getFileName().toString();
            if (file.endsWith(".jar")) {
                // Its artifact, wherever it lies: target/, a copy in a service's target/libs/ (reached through the
                // service jar's manifest Class-Path), or a local repository. <artifactId>-<version>.jar, or
                // <artifactId>.jar for the runnable jars.
                return Arrays.stream(values())
                        .filter(module -> file.equals(module.artifactId + ".jar")
                                || file.matches(Pattern.quote(module.artifactId) + "-\\d.*\\.jar"))
                        .findFirst();
            }
            if (!path.startsWith(REPOSITORY)) {
                return Optional.empty();
            }
            // .../<module directory>/target/classes/...
            String relative = REPOSITORY.relativize(path).toString().replace('\\', '/');
            int target = relative.indexOf("/target/");
            String directory = target < 0 ? "" : relative.substring(0, target);
            return Arrays.stream(values()).filter(module -> module.directory.equals(directory)).findFirst();
        }
    }

    /** Classes built in a module of one of {@code contexts}. */
    static DescribedPredicate<JavaClass> inContext(Context... contexts) {
        Set<Context> wanted = EnumSet.copyOf(List.of(contexts));
        return DescribedPredicate.describe("are built in a module of " + wanted,
                javaClass -> Module.of(javaClass).map(module -> wanted.contains(module.context)).orElse(false));
    }

    /** Classes that are not this build's (the JDK, libraries) or are built in a module of one of {@code contexts}. */
    static DescribedPredicate<JavaClass> outsideTheBuildOrInContext(Context... contexts) {
        DescribedPredicate<JavaClass> inContext = inContext(contexts);
        return DescribedPredicate.describe("are a library's or " + inContext.getDescription(),
                javaClass -> Module.of(javaClass).isEmpty() || inContext.test(javaClass));
    }

    // ---------------------------------------------------------------------------------------------
    // Rules
    // ---------------------------------------------------------------------------------------------

    @ArchTest
    static final ArchRule the_stats_context_uses_only_its_own_the_shared_modules_and_libraries =
            onlyUsesContexts(Context.STATS, Context.STATS, Context.SHARED)
                    .because("user-stats-service ships no event store, no user write side and no password hashing:"
                            + " it knows user-service only through the proto contracts");

    @ArchTest
    static final ArchRule the_user_context_uses_only_its_own_the_shared_modules_and_libraries =
            onlyUsesContexts(Context.USER, Context.USER, Context.SHARED)
                    .because("user-service does not run user-stats-service's code either");

    @ArchTest
    static final ArchRule the_shared_modules_use_neither_context =
            onlyUsesContexts(Context.SHARED, Context.SHARED)
                    .because("what both services run must not drag either service's own code into the other");

    @ArchTest
    static final ArchRule domain_depends_only_on_the_jdk =
            dependsOnlyOn(DOMAIN, JDK)
                    .because("the domain model is plain Java and knows nothing of use cases or infrastructure");

    @ArchTest
    static final ArchRule application_depends_only_on_the_domain_and_the_jdk =
            dependsOnlyOn(APPLICATION, DOMAIN, JDK)
                    .because("use cases and ports are written against the domain, never against adapters");

    @ArchTest
    static final ArchRule inbound_and_outbound_ports_do_not_depend_on_each_other =
            slicesDoNotDependOnEachOther("io.userstream.application.port.(*)..")
                    .because("use cases (port.in) and the roles they need (port.out) are only joined by services");

    @ArchTest
    static final ArchRule adapters_do_not_depend_on_each_other =
            slicesDoNotDependOnEachOther("io.userstream.adapters.(*)..")
                    .because("adapters are only combined in bootstrap, so each can be replaced on its own");

    @ArchTest
    static final ArchRule nothing_outside_bootstrap_depends_on_bootstrap =
            nothingOutsideDependsOn(BOOTSTRAP)
                    .because("bootstrap is the composition root: it depends on everything and nothing on it");

    @ArchTest
    static final ArchRule top_level_packages_are_free_of_cycles = slicesAreFreeOfCycles("io.userstream.(*)..");

    @ArchTest
    static final ArchRule adapters_are_free_of_cycles = slicesAreFreeOfCycles("io.userstream.adapters.(*)..");

    /** Already implied by the first two rules (java.sql is in java..), spelled out for the reader. */
    @ArchTest
    static final ArchRule domain_and_application_use_no_framework_jdbc_json_or_protobuf_types =
            useNoneOf(INFRASTRUCTURE, DOMAIN, APPLICATION)
                    .because("Helidon, JDBC, Jackson, protobuf and gRPC types belong in adapters and bootstrap");

    /** Test classes (bootstrap's end-to-end tests open JDBC connections) are not imported, see above. */
    @ArchTest
    static final ArchRule only_the_postgres_adapter_uses_the_db_client_or_jdbc =
            onlyThesePackagesUse(new String[] {POSTGRES_ADAPTER, EMBEDDED_SERVERS, LEGACY_TABLE_READER}, SQL)
                    .because("SQL, its errors and its connections stay in the PostgreSQL adapter, behind the ports;"
                            + " the CLI's migrate commands read a legacy application's table, not ours");

    // ---------------------------------------------------------------------------------------------
    // Rule definitions, shared by the rules above and by the checks that they can fail
    // ---------------------------------------------------------------------------------------------

    static ArchRule onlyUsesContexts(Context context, Context... allowed) {
        return classes().that(inContext(context))
                .should().onlyDependOnClassesThat(outsideTheBuildOrInContext(allowed));
    }

    static ArchRule dependsOnlyOn(String layer, String... allowed) {
        String[] packages = Stream.concat(Stream.of(layer), Stream.of(allowed)).toArray(String[]::new);
        return classes().that().resideInAPackage(layer)
                .should().onlyDependOnClassesThat().resideInAnyPackage(packages);
    }

    static ArchRule slicesDoNotDependOnEachOther(String slicePattern) {
        return slices().matching(slicePattern).should().notDependOnEachOther();
    }

    static ArchRule nothingOutsideDependsOn(String packageIdentifier) {
        return noClasses().that().resideOutsideOfPackage(packageIdentifier)
                .should().dependOnClassesThat().resideInAPackage(packageIdentifier);
    }

    static ArchRule slicesAreFreeOfCycles(String slicePattern) {
        return slices().matching(slicePattern).should().beFreeOfCycles();
    }

    static ArchRule useNoneOf(String[] forbidden, String... layers) {
        return noClasses().that().resideInAnyPackage(layers)
                .should().dependOnClassesThat().resideInAnyPackage(forbidden);
    }

    static ArchRule onlyThesePackagesUse(String[] owners, String... technologies) {
        return noClasses().that().resideOutsideOfPackages(owners)
                .should().dependOnClassesThat().resideInAnyPackage(technologies);
    }

    /** The production classes, imported the way {@link AnalyzeClasses} above imports them. */
    private static JavaClasses productionClasses() {
        JavaClasses classes = productionClasses;
        if (classes == null) {
            classes = new ClassFileImporter()
                    .withImportOption(new ImportOption.DoNotIncludeTests())
                    .importPackages(BASE);
            productionClasses = classes;
        }
        return classes;
    }

    private static JavaClasses productionClasses;

    // ---------------------------------------------------------------------------------------------
    // The import really sees every layer (ArchUnit reports import problems only through logging)
    // ---------------------------------------------------------------------------------------------

    @Test
    void import_sees_production_classes_from_every_layer() {
        JavaClasses imported = productionClasses();

        assertThat(imported.stream().map(JavaClass::getName)).contains(
                "io.userstream.domain.user.User",
                "io.userstream.application.port.in.CreateUserUseCase",
                "io.userstream.application.port.out.UserEventStore",
                "io.userstream.application.service.UserCommandService",
                "io.userstream.application.support.UuidV7Generator",
                "io.userstream.adapters.postgres.PostgresUserEventStore",
                "io.userstream.adapters.crypto.Argon2idPasswordHasher",
                "io.userstream.adapters.metrics.MeteredUserEventStore",
                "io.userstream.adapters.grpc.UserGrpcService",
                "io.userstream.proto.user.v1.UserServiceGrpc",
                "io.userstream.bootstrap.UserServiceMain");
        assertThat(imported.size()).as("number of imported classes").isGreaterThan(100);
    }

    @Test
    void every_module_is_told_apart_by_where_its_classes_were_loaded_from() {
        Set<Module> seen = productionClasses().stream().map(Module::of).flatMap(Optional::stream)
                .collect(Collectors.toCollection(() -> EnumSet.noneOf(Module.class)));

        assertThat(seen).containsExactlyInAnyOrder(Module.values());
        Map<String, Module> expected = Map.of(
                "io.userstream.adapters.postgres.PostgresUserEventStore", Module.POSTGRES,
                "io.userstream.adapters.postgres.PostgresUserStatsStore", Module.POSTGRES_STATS,
                "io.userstream.adapters.postgres.Db", Module.POSTGRES_COMMON,
                "io.userstream.domain.user.User", Module.DOMAIN,
                "io.userstream.domain.stats.UserStats", Module.DOMAIN_STATS,
                "io.userstream.bootstrap.UserStatsServiceMain", Module.USER_STATS_SERVICE,
                "io.userstream.bootstrap.EmbeddedMain", Module.EMBEDDED);
        expected.forEach((name, module) -> assertThat(Module.of(productionClasses().get(name))).as(name).contains(module));
    }

    @Test
    void import_leaves_test_classes_out() {
        assertThat(productionClasses().contain(ArchitectureTest.class)).isFalse();
    }

    // ---------------------------------------------------------------------------------------------
    // Every rule definition reports a violation when one exists (a rule that cannot fail proves nothing)
    // ---------------------------------------------------------------------------------------------

    @Test
    void only_jdk_rule_fails_for_the_application_which_uses_the_domain() {
        assertViolation(dependsOnlyOn(APPLICATION, JDK), productionClasses(), "io.userstream.domain.");
    }

    @Test
    void only_domain_and_jdk_rule_fails_for_an_adapter() {
        assertViolation(dependsOnlyOn("io.userstream.adapters.postgres..", DOMAIN, JDK), productionClasses(),
                "org.postgresql.");
    }

    @Test
    void slices_rule_fails_when_one_slice_uses_another() {
        // service implements port.in and calls port.out, so the application.(*) slices depend on each other.
        assertViolation(slicesDoNotDependOnEachOther("io.userstream.application.(*).."), productionClasses(),
                "io.userstream.application.port.");
    }

    @Test
    void nothing_outside_rule_fails_for_a_package_others_use() {
        assertViolation(nothingOutsideDependsOn(DOMAIN), productionClasses(), "io.userstream.domain.");
    }

    @Test
    void cycle_rule_fails_for_packages_that_use_each_other() {
        // java.lang.String uses java.util.Locale and Locale uses String.
        JavaClasses cyclic = new ClassFileImporter().importClasses(String.class, Locale.class);
        assertViolation(slicesAreFreeOfCycles("java.(*).."), cyclic, "Cycle detected");
    }

    @Test
    void infrastructure_rule_fails_for_adapters() {
        assertViolation(useNoneOf(INFRASTRUCTURE, ADAPTERS), productionClasses(), "java.sql.");
    }

    @Test
    void only_this_package_rule_fails_when_another_package_uses_the_technology() {
        // Pretend the gRPC adapter owned the database: the PostgreSQL adapter then breaks the rule.
        assertViolation(onlyThesePackagesUse(new String[] {"io.userstream.adapters.grpc.."}, SQL), productionClasses(),
                "io.helidon.dbclient.DbClient");
    }

    @Test
    void context_rule_fails_for_the_embedded_mode_which_runs_both_services() {
        // EmbeddedMain starts user-stats-service: allowing it user-service's context alone is broken.
        assertViolation(onlyUsesContexts(Context.BOTH, Context.BOTH, Context.USER, Context.SHARED), productionClasses(),
                "io.userstream.bootstrap.UserStatsServiceApp");
    }

    @Test
    void context_rule_fails_when_a_context_may_not_use_the_shared_modules() {
        assertViolation(onlyUsesContexts(Context.STATS, Context.STATS), productionClasses(),
                "io.userstream.adapters.postgres.Db");
    }

    private static void assertViolation(ArchRule rule, JavaClasses classes, String expectedInReport) {
        EvaluationResult result = rule.evaluate(classes);
        assertThat(result.hasViolation()).as("'%s' reports a violation", rule.getDescription()).isTrue();
        assertThat(result.getFailureReport().toString()).contains(expectedInReport);
    }
}

package dev.deployclaw.gates.core.tenant;

import org.junit.jupiter.api.Test;

import javax.sql.DataSource;
import java.sql.SQLException;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.verifyNoInteractions;

class TenantSourceTest {
    private final DataSource untouched = mock(DataSource.class);

    @Test
    void listsGivenTenantsInOrderWithoutTouchingTheDatabase() throws SQLException {
        List<Tenant> tenants = TenantSource.list("t_b", "t_a").tenants(untouched);
        assertThat(tenants).extracting(Tenant::id).containsExactly("t_b", "t_a");
        assertThat(tenants).extracting(Tenant::schema).containsExactly("t_b", "t_a");
        verifyNoInteractions(untouched);
    }

    @Test
    void rejectsATenantNameWithAQuote() {
        assertThatThrownBy(() -> TenantSource.list("t1\"; drop schema x; --"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("tenant must contain only");
    }

    @Test
    void rejectsDuplicateTenants() {
        assertThatThrownBy(() -> TenantSource.list("t1", "t1"))
                .hasMessage("tenants must be distinct, but 't1' was given twice");
    }

    @Test
    void rejectsAPatternThatCouldCarrySql() {
        assertThatThrownBy(() -> TenantSource.schemaPattern("t%' or '1'='1"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("tenant schema pattern must be");
    }

    @Test
    void rejectsARegistryTableThatIsNotAnIdentifier() {
        assertThatThrownBy(() -> TenantSource.registry("tenants; delete from x", "schema_name"))
                .hasMessageContaining("tenant registry table");
        assertThatThrownBy(() -> TenantSource.registry("public.tenants", "name--"))
                .hasMessageContaining("tenant registry column");
    }

    @Test
    void blockedByFindsTheGateExceptionDeepInTheCauseChain() {
        RuntimeException plain = new RuntimeException("x", new IllegalStateException("y"));
        assertThat(MigrationEngine.blockedBy(plain)).isEmpty();
    }
}

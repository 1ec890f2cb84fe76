package dev.leakguard.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionVersion;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Checks a custom resource against the OpenAPI v3 schema of its CRD the way the API server's
 * structural-schema validation (with kubectl's strict field validation) would: types, required,
 * enum, pattern, bounds, unknown fields, x-kubernetes-preserve-unknown-fields and
 * x-kubernetes-int-or-string. CEL rules (x-kubernetes-validations) are not evaluated.
 */
final class CrdSchemaValidator {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> IMPLICIT_ROOT_FIELDS = Set.of("apiVersion", "kind", "metadata");

    private final JSONSchemaProps root;

    private CrdSchemaValidator(JSONSchemaProps root) {
        this.root = root;
    }

    static CrdSchemaValidator fromCrd(Path crdYaml, String version) {
        CustomResourceDefinition crd = ProjectFiles.manifest(crdYaml, CustomResourceDefinition.class);
        CustomResourceDefinitionVersion served = crd.getSpec().getVersions().stream()
                .filter(v -> v.getName().equals(version))
                .findFirst()
                .orElseThrow(() -> new IllegalArgumentException(crdYaml + " has no version " + version));
        return new CrdSchemaValidator(served.getSchema().getOpenAPIV3Schema());
    }

    /** Every violation in the resource, each as "path: problem"; empty when it would be accepted. */
    List<String> violations(HasMetadata resource) {
        JsonNode tree = JSON.valueToTree(resource);
        return violations(tree);
    }

    List<String> violations(JsonNode resource) {
        List<String> found = new ArrayList<>();
        validate(root, resource, "", found);
        return found;
    }

    private void validate(JSONSchemaProps schema, JsonNode node, String path, List<String> found) {
        if (node.isNull()) {
            if (!Boolean.TRUE.equals(schema.getNullable())) {
                found.add(at(path) + "must not be null");
            }
            return;
        }
        if (!typeHolds(schema, node, path, found) || !alternativesHold(schema, node, path, found)) {
            return;
        }
        if (schema.getEnum() != null && !schema.getEnum().isEmpty() && !schema.getEnum().contains(node)) {
            found.add(at(path) + node + " is not one of " + schema.getEnum());
        }
        if (node.isTextual()) {
            validateString(schema, node.asText(), path, found);
        } else if (node.isNumber()) {
            validateNumber(schema, node.asDouble(), path, found);
        } else if (node.isArray()) {
            validateArray(schema, node, path, found);
        } else if (node.isObject()) {
            validateObject(schema, node, path, found);
        }
    }

    private boolean alternativesHold(JSONSchemaProps schema, JsonNode node, String path, List<String> found) {
        int before = found.size();
        if (schema.getAllOf() != null) {
            schema.getAllOf().forEach(part -> validate(part, node, path, found));
        }
        if (schema.getAnyOf() != null && !schema.getAnyOf().isEmpty()
                && schema.getAnyOf().stream().noneMatch(part -> violationsOf(part, node, path).isEmpty())) {
            found.add(at(path) + "matches none of anyOf");
        }
        if (schema.getOneOf() != null && !schema.getOneOf().isEmpty()
                && schema.getOneOf().stream().filter(part -> violationsOf(part, node, path).isEmpty()).count() != 1) {
            found.add(at(path) + "does not match exactly one of oneOf");
        }
        return found.size() == before;
    }

    private List<String> violationsOf(JSONSchemaProps schema, JsonNode node, String path) {
        List<String> found = new ArrayList<>();
        validate(schema, node, path, found);
        return found;
    }

    private static boolean typeHolds(JSONSchemaProps schema, JsonNode node, String path, List<String> found) {
        if (Boolean.TRUE.equals(schema.getXKubernetesIntOrString())) {
            if (node.isIntegralNumber() || node.isTextual()) {
                return true;
            }
            found.add(at(path) + "must be an integer or a string, got " + node.getNodeType());
            return false;
        }
        String type = schema.getType();
        boolean matches = type == null || switch (type) {
            case "object" -> node.isObject();
            case "array" -> node.isArray();
            case "string" -> node.isTextual();
            case "integer" -> node.isIntegralNumber();
            case "number" -> node.isNumber();
            case "boolean" -> node.isBoolean();
            default -> throw new IllegalArgumentException("unknown schema type " + type + " at " + path);
        };
        if (!matches) {
            found.add(at(path) + "must be of type " + type + ", got " + node.getNodeType());
        }
        return matches;
    }

    private static void validateString(JSONSchemaProps schema, String value, String path, List<String> found) {
        if (schema.getPattern() != null && !Pattern.compile(schema.getPattern()).matcher(value).find()) {
            found.add(at(path) + '"' + value + "\" does not match " + schema.getPattern());
        }
        if (schema.getMinLength() != null && value.length() < schema.getMinLength()) {
            found.add(at(path) + "must be at least " + schema.getMinLength() + " characters long");
        }
        if (schema.getMaxLength() != null && value.length() > schema.getMaxLength()) {
            found.add(at(path) + "must be at most " + schema.getMaxLength() + " characters long");
        }
    }

    private static void validateNumber(JSONSchemaProps schema, double value, String path, List<String> found) {
        Double min = schema.getMinimum();
        if (min != null && (value < min || (Boolean.TRUE.equals(schema.getExclusiveMinimum()) && value == min))) {
            found.add(at(path) + value + " is below the minimum " + min);
        }
        Double max = schema.getMaximum();
        if (max != null && (value > max || (Boolean.TRUE.equals(schema.getExclusiveMaximum()) && value == max))) {
            found.add(at(path) + value + " is above the maximum " + max);
        }
    }

    private void validateArray(JSONSchemaProps schema, JsonNode node, String path, List<String> found) {
        if (schema.getMinItems() != null && node.size() < schema.getMinItems()) {
            found.add(at(path) + "must have at least " + schema.getMinItems() + " items");
        }
        if (schema.getMaxItems() != null && node.size() > schema.getMaxItems()) {
            found.add(at(path) + "must have at most " + schema.getMaxItems() + " items");
        }
        if (schema.getItems() != null && schema.getItems().getSchema() != null) {
            for (int i = 0; i < node.size(); i++) {
                validate(schema.getItems().getSchema(), node.get(i), path + "[" + i + "]", found);
            }
        }
    }

    private void validateObject(JSONSchemaProps schema, JsonNode node, String path, List<String> found) {
        if (schema.getRequired() != null) {
            for (String field : schema.getRequired()) {
                if (!node.has(field)) {
                    found.add(at(path) + "missing required field \"" + field + "\"");
                }
            }
        }
        if (schema.getMinProperties() != null && node.size() < schema.getMinProperties()) {
            found.add(at(path) + "must have at least " + schema.getMinProperties() + " fields");
        }
        Map<String, JSONSchemaProps> properties = schema.getProperties() == null ? Map.of() : schema.getProperties();
        JSONSchemaProps additional = schema.getAdditionalProperties() == null ? null : schema.getAdditionalProperties().getSchema();
        boolean preserveUnknown = Boolean.TRUE.equals(schema.getXKubernetesPreserveUnknownFields())
                || (schema.getAdditionalProperties() != null && Boolean.TRUE.equals(schema.getAdditionalProperties().getAllows()));
        for (Map.Entry<String, JsonNode> field : node.properties()) {
            String fieldPath = path.isEmpty() ? field.getKey() : path + "." + field.getKey();
            if (path.isEmpty() && IMPLICIT_ROOT_FIELDS.contains(field.getKey())) {
                continue; // the API server accepts and checks these itself, whatever the schema says
            }
            JSONSchemaProps fieldSchema = properties.getOrDefault(field.getKey(), additional);
            if (fieldSchema != null) {
                validate(fieldSchema, field.getValue(), fieldPath, found);
            } else if (!preserveUnknown) {
                found.add(at(fieldPath) + "unknown field");
            }
        }
    }

    private static String at(String path) {
        return (path.isEmpty() ? "<root>" : path) + ": ";
    }
}

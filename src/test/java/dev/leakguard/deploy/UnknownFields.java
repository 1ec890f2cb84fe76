package dev.leakguard.deploy;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * fabric8 model classes keep fields they do not know in {@code additionalProperties} instead of
 * failing, so a misspelt field (say {@code readOnlyRootFileSystem}) would parse silently. This
 * walks a parsed object and lists every such field.
 */
final class UnknownFields {

    private UnknownFields() {
    }

    /** Paths of fields that no fabric8 model class declares, e.g. "spec.template.spec.containers[0].foo". */
    static List<String> in(Object model) {
        List<String> found = new ArrayList<>();
        walk(model, "", found);
        return found;
    }

    private static void walk(Object value, String path, List<String> found) {
        if (value == null || value instanceof GenericKubernetesResource) {
            return;
        }
        if (value instanceof List<?> list) {
            for (int i = 0; i < list.size(); i++) {
                walk(list.get(i), path + "[" + i + "]", found);
            }
        } else if (value instanceof Map<?, ?> map) {
            map.forEach((key, item) -> walk(item, path + "[" + key + "]", found));
        } else if (value.getClass().getPackageName().startsWith("io.fabric8.kubernetes.api.model")) {
            walkModel(value, path, found);
        }
    }

    private static void walkModel(Object model, String path, List<String> found) {
        for (Method getter : model.getClass().getMethods()) {
            if (!isPropertyGetter(getter)) {
                continue;
            }
            Object child = invoke(getter, model);
            if (getter.getName().equals("getAdditionalProperties")) {
                ((Map<?, ?>) child).keySet().forEach(key -> found.add(join(path, String.valueOf(key))));
            } else {
                walk(child, join(path, propertyName(getter)), found);
            }
        }
    }

    private static boolean isPropertyGetter(Method method) {
        return method.getName().startsWith("get") && method.getParameterCount() == 0
                && !Modifier.isStatic(method.getModifiers()) && method.getDeclaringClass() != Object.class;
    }

    private static Object invoke(Method getter, Object target) {
        try {
            return getter.invoke(target);
        } catch (IllegalAccessException | InvocationTargetException e) {
            throw new IllegalStateException("cannot read " + getter, e);
        }
    }

    private static String propertyName(Method getter) {
        String name = getter.getName().substring(3);
        return Character.toLowerCase(name.charAt(0)) + name.substring(1);
    }

    private static String join(String path, String field) {
        return path.isEmpty() ? field : path + "." + field;
    }
}

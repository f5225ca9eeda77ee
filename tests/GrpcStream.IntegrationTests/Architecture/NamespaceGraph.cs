using Mono.Cecil;
using Mono.Cecil.Cil;

namespace GrpcStream.IntegrationTests.Architecture;

/// <summary>
/// Which namespaces of an assembly name types of which others: every type a type's signatures, attributes and
/// method bodies refer to, read from the compiled assembly with Mono.Cecil (compiler-made types, such as lambdas'
/// closures and async state machines, count for the type that declares them).
/// </summary>
internal static class NamespaceGraph
{
    /// <summary>The edges between namespaces under <paramref name="root"/> (shortened to their first segment below it), each with one type that makes it.</summary>
    public static Dictionary<(string From, string To), string> Read(string assemblyPath, string root)
    {
        using var module = ModuleDefinition.ReadModule(assemblyPath);
        var edges = new Dictionary<(string, string), string>();
        foreach (var type in module.GetTypes())
        {
            if (Layer(OuterMost(type).Namespace, root) is not { } from)
            {
                continue;
            }

            foreach (var target in Referenced(type))
            {
                if (target.Module == module && Layer(OuterMost(target).Namespace, root) is { } to && to != from)
                {
                    edges.TryAdd((from, to), $"{type.FullName} -> {target.FullName}");
                }
            }
        }

        return edges;
    }

    /// <summary>The names of the assemblies <paramref name="assemblyPath"/> references.</summary>
    public static IReadOnlyList<string> References(string assemblyPath)
    {
        using var module = ModuleDefinition.ReadModule(assemblyPath);
        return [.. module.AssemblyReferences.Select(r => r.Name)];
    }

    /// <summary>The name of the root namespace's own layer (a program's composition: <c>CliApp</c>, say).</summary>
    public const string Root = "(root)";

    // "GrpcStream.Edge.Auth" under "GrpcStream.Edge" is "Auth", the root itself is its own layer, and other
    // namespaces have none.
    private static string? Layer(string ns, string root) =>
        ns == root ? Root : ns.StartsWith(root + ".", StringComparison.Ordinal) ? ns[(root.Length + 1)..].Split('.')[0] : null;

    private static TypeReference OuterMost(TypeReference type)
    {
        while (type.DeclaringType is { } outer)
        {
            type = outer;
        }

        return type;
    }

    private static IEnumerable<TypeDefinition> Referenced(TypeDefinition type)
    {
        var found = new List<TypeReference>();
        void Add(TypeReference? reference)
        {
            switch (reference)
            {
                case null:
                    return;
                case GenericInstanceType generic:
                    Add(generic.ElementType);
                    generic.GenericArguments.ToList().ForEach(Add);
                    return;
                case TypeSpecification specification:
                    Add(specification.ElementType);
                    return;
                case GenericParameter:
                    return;
                default:
                    found.Add(reference);
                    return;
            }
        }

        void AddMethod(MethodReference method)
        {
            Add(method.DeclaringType);
            Add(method.ReturnType);
            method.Parameters.ToList().ForEach(p => Add(p.ParameterType));
            if (method is GenericInstanceMethod generic)
            {
                generic.GenericArguments.ToList().ForEach(Add);
            }
        }

        void AddAttributes(ICustomAttributeProvider provider)
        {
            foreach (var attribute in provider.CustomAttributes)
            {
                Add(attribute.AttributeType);
            }
        }

        Add(type.BaseType);
        type.Interfaces.ToList().ForEach(i => Add(i.InterfaceType));
        AddAttributes(type);
        foreach (var field in type.Fields)
        {
            Add(field.FieldType);
            AddAttributes(field);
        }

        foreach (var property in type.Properties)
        {
            Add(property.PropertyType);
            AddAttributes(property);
        }

        foreach (var method in type.Methods)
        {
            AddMethod(method);
            AddAttributes(method);
            if (!method.HasBody)
            {
                continue;
            }

            method.Body.Variables.ToList().ForEach(v => Add(v.VariableType));
            foreach (var instruction in method.Body.Instructions)
            {
                switch (instruction.Operand)
                {
                    case TypeReference reference:
                        Add(reference);
                        break;
                    case MethodReference called:
                        AddMethod(called);
                        break;
                    case FieldReference field:
                        Add(field.DeclaringType);
                        Add(field.FieldType);
                        break;
                }
            }
        }

        foreach (var reference in found)
        {
            // A type of this assembly is a definition, or a reference scoped to this module; others are not ours.
            if ((reference as TypeDefinition ?? (reference.Scope is ModuleDefinition ? reference.Resolve() : null)) is { } definition)
            {
                yield return definition;
            }
        }
    }
}

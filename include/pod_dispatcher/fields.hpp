#ifndef POD_DISPATCHER_FIELDS_HPP
#define POD_DISPATCHER_FIELDS_HPP

// How documents describe their fields, once: each document type lists its members in a
// Fields<D> table (beside the type), and each enum its names in EnumNames<E>. The JSON
// conversion, the field-level writes of the Store concept and any store that maps a
// document onto its own schema all read these tables, so a field is named in one place.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

namespace pod_dispatcher {

/// How a field takes part when a document is read back.
enum class FieldRole : unsigned char {
    plain,    ///< Absent or null: the member keeps its default.
    required, ///< A document without it is malformed.
    id,       ///< The document's key: required, and stored as "_id" by MongoDB-like stores.
};

/// One member of document D.
template <class D, class M>
struct Field {
    using document_type = D;
    using member_type = M;

    std::string_view name; ///< The member's name, which is also its JSON key.
    M D::*member;
    FieldRole role = FieldRole::plain;
    bool (*valid)(const M&) = nullptr; ///< When set, a stored value it rejects is malformed.

    constexpr bool required() const noexcept { return role != FieldRole::plain; }
};

template <class D, class M>
constexpr Field<D, M> field(std::string_view name, M D::*member, FieldRole role = FieldRole::plain,
                            bool (*valid)(const M&) = nullptr)
{
    return {name, member, role, valid};
}

/// Specialised beside each document type D with
/// `static constexpr std::tuple all{field("name", &D::name), ...}`, in declaration order.
template <class D>
struct Fields;

/// A type whose fields are described by Fields<D>.
template <class D>
concept Document = std::is_class_v<D> && requires { Fields<D>::all; };

template <Document D>
inline constexpr std::size_t field_count = std::tuple_size_v<std::remove_cvref_t<decltype(Fields<D>::all)>>;

/// Calls f(field) for each field of D, in table order.
template <Document D, class F>
constexpr void for_each_field(F&& f)
{
    std::apply([&](const auto&... each) { (f(each), ...); }, Fields<D>::all);
}

/// Calls f(field, index) for each field of D, in table order.
template <Document D, class F>
constexpr void for_each_field_indexed(F&& f)
{
    [&]<std::size_t... I>(std::index_sequence<I...>) {
        (f(std::get<I>(Fields<D>::all), I), ...);
    }(std::make_index_sequence<field_count<D>>{});
}

/// The position of member in D's table; a member the table lacks fails to compile where
/// a constant is needed.
template <Document D, class M>
constexpr std::size_t field_index(M D::*member)
{
    std::size_t found = field_count<D>;
    for_each_field_indexed<D>([&](const auto& f, std::size_t i) {
        if constexpr (std::is_same_v<decltype(f.member), M D::*>) {
            if (f.member == member) {
                found = i;
            }
        }
    });
    if (found == field_count<D>) {
        throw std::logic_error("member missing from its document's Fields table");
    }
    return found;
}

/// A set of D's fields, by position in Fields<D>::all.
template <Document D>
class FieldSet {
    static_assert(field_count<D> <= 64, "FieldSet holds up to 64 fields");

public:
    constexpr FieldSet() noexcept = default;

    /// The fields of the members given: FieldSet<Task>::of(&Task::status, &Task::pod_id).
    template <class... M>
    static consteval FieldSet of(M D::*... members)
    {
        FieldSet set;
        ((set.bits_ |= std::uint64_t{1} << field_index<D>(members)), ...);
        return set;
    }

    /// Every field of D.
    static constexpr FieldSet all() noexcept
    {
        return FieldSet{field_count<D> == 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << field_count<D>) - 1};
    }

    constexpr bool contains(std::size_t index) const noexcept { return (bits_ >> index & 1U) != 0; }
    constexpr bool empty() const noexcept { return bits_ == 0; }
    constexpr FieldSet operator|(FieldSet other) const noexcept { return FieldSet{bits_ | other.bits_}; }
    constexpr bool operator==(const FieldSet&) const noexcept = default;

    /// Calls f(field) for each field in the set, in table order.
    template <class F>
    constexpr void for_each(F&& f) const
    {
        for_each_field_indexed<D>([&](const auto& each, std::size_t i) {
            if (contains(i)) {
                f(each);
            }
        });
    }

private:
    constexpr explicit FieldSet(std::uint64_t bits) noexcept : bits_(bits) {}

    std::uint64_t bits_ = 0;
};

/// Specialised beside each enum E with `static constexpr std::array<std::string_view, N>
/// names`, the name of the enumerator with value i at position i.
template <class E>
struct EnumNames;

template <class E>
concept NamedEnum = std::is_enum_v<E> && requires { EnumNames<E>::names; };

/// e's name; empty for a value that is no enumerator.
template <NamedEnum E>
constexpr std::string_view name_of(E e) noexcept
{
    const auto i = static_cast<std::size_t>(e);
    return i < EnumNames<E>::names.size() ? EnumNames<E>::names[i] : std::string_view{};
}

/// The enumerator named name, if any.
template <NamedEnum E>
constexpr std::optional<E> enum_named(std::string_view name) noexcept
{
    const auto& names = EnumNames<E>::names;
    for (std::size_t i = 0; i < names.size(); ++i) {
        if (names[i] == name) {
            return static_cast<E>(i);
        }
    }
    return std::nullopt;
}

} // namespace pod_dispatcher

#endif

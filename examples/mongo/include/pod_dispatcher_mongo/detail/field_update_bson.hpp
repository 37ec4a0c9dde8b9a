#ifndef POD_DISPATCHER_MONGO_DETAIL_FIELD_UPDATE_BSON_HPP
#define POD_DISPATCHER_MONGO_DETAIL_FIELD_UPDATE_BSON_HPP

// The filter and update of a guarded field-level write of a task or pod (FieldUpdate).

#include <pod_dispatcher_mongo/detail/bson_codec.hpp>

#include <pod_dispatcher/documents.hpp>
#include <pod_dispatcher/fields.hpp>

#include <bson/bson.h>

#include <string_view>
#include <type_traits>

namespace pod_dispatcher_mongo::detail {

/// Appends a condition that the stored field equals value. A value at its default also
/// matches a missing field (another client may leave it out, and reading it gives the
/// default); an unset timestamp, which is left out when written, matches only a missing
/// or null one.
template <class V>
bool put_equals(bson_t* b, std::string_view name, const V& value)
{
    if constexpr (std::is_same_v<V, pd::Timestamp>) {
        if (value == pd::Timestamp{}) {
            return put_null(b, name);
        }
    } else if (value == V{}) {
        return put_nested(b, name, false, [&](bson_t* in) {
            return put_nested(in, "$in", true,
                              [&](bson_t* values) { return put(values, "0", value) && put_null(values, "1"); });
        });
    }
    return put(b, name, value);
}

/// {_id: id, field: value of doc, ...} for each field in fields: the stored document
/// with that id, if those of its fields are as in doc.
template <pd::Document D>
bool put_fields_filter(bson_t* b, std::string_view id, pd::FieldSet<D> fields, const D& doc)
{
    bool ok = put(b, "_id", id);
    fields.for_each([&](const auto& f) { ok = ok && put_equals(b, stored_name(f), doc.*f.member); });
    return ok;
}

inline bool left_out(pd::Timestamp value) noexcept { return value == pd::Timestamp{}; }
template <class V>
bool left_out(const V&) noexcept
{
    return false;
}

/// {$set: {field: value of doc, ...}, $unset: {timestamp: ""}} for each field in fields:
/// gives those fields doc's values, removing an unset timestamp, as encode leaves it out.
template <pd::Document D>
bool put_fields_update(bson_t* b, pd::FieldSet<D> fields, const D& doc)
{
    const auto put_part = [&](std::string_view op, bool removed) {
        bool any = false;
        fields.for_each([&](const auto& f) { any = any || left_out(doc.*f.member) == removed; });
        return !any || put_nested(b, op, false, [&](bson_t* part) {
            bool ok = true;
            fields.for_each([&](const auto& f) {
                if (left_out(doc.*f.member) == removed) {
                    ok = ok && (removed ? put(part, stored_name(f), std::string_view{})
                                        : put(part, stored_name(f), doc.*f.member));
                }
            });
            return ok;
        });
    };
    return put_part("$set", false) && put_part("$unset", true);
}

} // namespace pod_dispatcher_mongo::detail

#endif

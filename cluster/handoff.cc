// Coordinator: hinted handoff (Dynamo section 4.6). A write that one of its
// intended replicas missed because that replica was down is kept by the
// coordinator as a hint; once the replica is up again the coordinator hands
// it the hinted records, so that it does not go on serving what it had
// before it went down (it is the slot's primary again, whose keys DBSIZE,
// KEYS and SCAN list). The replica applies each one as any PEER.WRITE: it
// keeps whichever version is newer, so handing off twice or late is
// harmless. Hints live in the engine (persisted with the turn's commit), so
// a coordinator that restarts still delivers them.
//
// A write sent to a replica believed up that fails (it went down before
// gossip said so, or gossip briefly said it was up again) is kept as a hint
// too, unless a later write's hint for that key is already kept.
//
// Not covered: hints die with a coordinator's disk (and FLUSHALL drops
// them); the replicas they were for are then repaired only by reads.
// Merkle-tree anti-entropy would cover that.
#include <memory>
#include <optional>

#include "cluster/coordinator.h"

namespace ringkv::cluster {
namespace {

constexpr size_t kHandoffBatch = 256;  // hints in flight per replica

}  // namespace

void Coordinator::StoreHints(uint16_t slot, const std::string& key, const std::string& encoded) {
  for (std::string_view owner : view_->ring().PreferenceList(slot, replicas_)) {
    if (owner == view_->self_id() || view_->IsUp(owner)) continue;
    engine_->PutHint(owner, key, encoded);
    ++stats_.hints_stored;
  }
}

void Coordinator::HintFailedWrite(const std::string& node, const std::string& key,
                                  const Record& rec) {
  // A node that left the ring (its request failed because it was forgotten)
  // gets none: its hints were dropped, and none would ever be handed off.
  if (!view_->ring().Contains(node)) return;
  auto held = engine_->GetHint(node, key);
  if (!held.ok()) return;
  std::optional<Record> keep;
  if (held->empty()) {
    keep = rec;
  } else {
    Record prev;
    if (!storage::DecodeRecord(*held, &prev).ok()) return;
    bool conflict = false;
    keep = Newer(prev, rec, &conflict);
  }
  if (!keep) return;
  engine_->PutHint(node, key, storage::EncodeRecord(*keep));
  ++stats_.hints_stored;
}

void Coordinator::HandoffTick() {
  // Reading the hints commits pending writes; between turns there are none,
  // and a tick that finds some waits for the next one.
  if (engine_->HasPending() || engine_->failed()) return;  // read-only after a failed commit
  for (const NodeInfo& n : view_->ring().nodes()) {
    if (n.id == view_->self_id() || !view_->IsUp(n.id) || handing_off_.contains(n.id)) continue;
    std::vector<std::pair<std::string, std::string>> hints;
    Status s = engine_->Hints(n.id, "", kHandoffBatch, &hints);
    if (s.ok() && !hints.empty()) HandOff(n.id, std::move(hints));
  }
}

void Coordinator::HandOff(const std::string& node,
                          std::vector<std::pair<std::string, std::string>> hints) {
  handing_off_.insert(node);
  auto left = std::make_shared<size_t>(hints.size());
  for (auto& hint : hints) {
    ++stats_.remote_requests;
    // The callback keeps its own copy (the order in which Send's arguments
    // are built is unspecified, so nothing may move from `hint` here).
    std::string sent = hint.second;
    transport_->Send(
        node, {"PEER.WRITE", hint.first, hint.second},
        [this, node, key = hint.first, sent = std::move(sent), left](Result<resp::RespValue> r) {
          if (r.ok() && r->type != resp::RespValue::kError) {
            // Kept if a newer write replaced the hint meanwhile
            // (the node was seen down again, or that write
            // failed): only what was delivered is deleted.
            auto held = engine_->GetHint(node, key);
            if (held.ok() && *held == sent) {
              engine_->DeleteHint(node, key);
              ++stats_.hints_delivered;
            }
          } else {
            ++stats_.peer_errors;
          }
          if (--*left == 0) handing_off_.erase(node);
        });
  }
}

}  // namespace ringkv::cluster

#pragma once
/// A growable ring buffer: a replica's waiting line of visit ids, served from the front (FIFO)
/// or the back (LIFO), or a lane of timers that expire in order. It grows by doubling and
/// never shrinks, so a steady state allocates nothing.

#include <cstdint>
#include <vector>

namespace rapture {

template <typename T = uint32_t>
class RingQueue {
 public:
  [[nodiscard]] uint32_t size() const { return size_; }
  [[nodiscard]] bool empty() const { return size_ == 0; }
  void push_back(const T& v) {
    if (size_ == buf_.size()) grow();
    buf_[(head_ + size_) & (buf_.size() - 1)] = v;
    ++size_;
  }
  [[nodiscard]] const T& front() const { return buf_[head_]; }
  T pop_front() {
    const T v = buf_[head_];
    head_ = (head_ + 1) & (buf_.size() - 1);
    --size_;
    return v;
  }
  T pop_back() {
    --size_;
    return buf_[(head_ + size_) & (buf_.size() - 1)];
  }

 private:
  void grow() {
    std::vector<T> bigger(buf_.empty() ? 16 : buf_.size() * 2);
    for (uint32_t i = 0; i < size_; ++i) bigger[i] = buf_[(head_ + i) & (buf_.size() - 1)];
    buf_.swap(bigger);
    head_ = 0;
  }
  std::vector<T> buf_;
  uint32_t head_ = 0, size_ = 0;
};

}  // namespace rapture

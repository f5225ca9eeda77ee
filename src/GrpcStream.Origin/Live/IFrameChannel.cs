namespace GrpcStream.Origin.Live;

/// <summary>
/// Where a subscriber's frames come from: a file stream's clock (<see cref="LiveChannel"/>) or a publisher
/// (<see cref="Publishing.PublishedStream"/>). Either offers every frame to all of its subscribers as one shared message.
/// </summary>
internal interface IFrameChannel
{
    string Name { get; }

    /// <summary>
    /// Adds a subscriber, which gets the current frame at once when there is one. A channel that has ended ends the
    /// subscriber at once, as it ended the others: the hub may hand a channel out just before it ends.
    /// </summary>
    void Add(Subscriber subscriber);

    /// <summary>Removes a subscriber (one that was never added, or already ended, is no matter).</summary>
    void Remove(Subscriber subscriber);
}

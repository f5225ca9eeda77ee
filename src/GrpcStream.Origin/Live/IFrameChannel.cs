namespace GrpcStream.Origin.Live;

/// <summary>
/// Where a subscriber's frames come from: a file stream's clock (<see cref="LiveChannel"/>) or a publisher
/// (<see cref="Publishing.PublishedStream"/>). Either offers every frame to all of its subscribers as one shared message.
/// </summary>
internal interface IFrameChannel
{
    string Name { get; }

    /// <summary>Adds a subscriber, which gets the current frame at once when there is one.</summary>
    void Add(Subscriber subscriber);

    /// <summary>Removes a subscriber; true when the channel stopped with it (it plays only for subscribers) and may be forgotten.</summary>
    bool Remove(Subscriber subscriber);
}

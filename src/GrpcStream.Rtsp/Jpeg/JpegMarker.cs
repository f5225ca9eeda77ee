namespace GrpcStream.Rtsp.Jpeg;

/// <summary>The JPEG marker codes (ITU-T T.81 table B.1) this project reads or writes: the byte after 0xFF.</summary>
public static class JpegMarker
{
    public const byte Prefix = 0xFF;
    public const byte Sof0 = 0xC0;
    public const byte Sof1 = 0xC1;
    public const byte Sof2 = 0xC2;
    public const byte Sof3 = 0xC3;
    public const byte Dht = 0xC4;
    public const byte Jpg = 0xC8;
    public const byte Dac = 0xCC;
    public const byte Rst0 = 0xD0;
    public const byte Rst7 = 0xD7;
    public const byte Soi = 0xD8;
    public const byte Eoi = 0xD9;
    public const byte Sos = 0xDA;
    public const byte Dqt = 0xDB;
    public const byte Dnl = 0xDC;
    public const byte Dri = 0xDD;
    public const byte App0 = 0xE0;
    public const byte Com = 0xFE;
    public const byte Tem = 0x01;

    /// <summary>True for SOF0..SOF15 (excluding DHT, JPG and DAC which share that range).</summary>
    public static bool IsStartOfFrame(byte marker) =>
        marker is >= 0xC0 and <= 0xCF && marker is not (Dht or Jpg or Dac);

    /// <summary>Markers that stand alone, with no length field after them.</summary>
    public static bool IsStandalone(byte marker) =>
        marker is Soi or Eoi or Tem || marker is >= Rst0 and <= Rst7;
}
